//! Human-readable API documentation for an organisation's members: rendered from the same
//! generated OpenAPI description the API serves (its Markdown texts through `web::markdown`),
//! with `curl` examples that use this server's own base URL.
use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use utoipa::OpenApi;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{RefOr, Required};

use crate::api::openapi::ApiDoc;
use crate::auth::extractors::OrgMember;
use crate::auth::origin::public_origin;
use crate::state::AppState;
use crate::web::error::{WebError, render};
use crate::web::layout::Nav;
use crate::web::markdown;

pub struct ParamView {
    pub name: String,
    /// Rendered Markdown.
    pub description: String,
    pub required: bool,
}

/// One field of an answer, as the OpenAPI document describes it.
pub struct FieldView {
    pub name: String,
    /// Rendered Markdown.
    pub description: String,
}

pub struct EndpointView {
    pub path: String,
    pub summary: String,
    /// Rendered Markdown.
    pub description: String,
    pub params: Vec<ParamView>,
    /// The fields of its JSON answer, nested ones as `data[].name`.
    pub fields: Vec<FieldView>,
    /// Whether the operation needs the token (its example sends it); the OpenAPI document's own
    /// operation opts out with an empty security requirement.
    pub needs_token: bool,
}

#[derive(Template)]
#[template(path = "orgs/api_docs.html")]
struct ApiDocsPage {
    nav: Option<Nav>,
    name: String,
    slug: String,
    /// Owners and admins: the page links to the token screen.
    can_manage: bool,
    base_url: String,
    endpoints: Vec<EndpointView>,
}

type Schemas = BTreeMap<String, RefOr<Schema>>;

/// The schema a reference names, or the schema itself.
fn resolve<'a>(schema: &'a RefOr<Schema>, schemas: &'a Schemas) -> Option<&'a Schema> {
    match schema {
        RefOr::T(schema) => Some(schema),
        RefOr::Ref(reference) => match schemas.get(reference.ref_location.rsplit('/').next()?)? {
            RefOr::T(schema) => Some(schema),
            RefOr::Ref(_) => None,
        },
    }
}

/// A field's description: the reference's own, else its schema's.
fn description_of(schema: &RefOr<Schema>, schemas: &Schemas) -> String {
    if let RefOr::Ref(reference) = schema
        && !reference.description.is_empty()
    {
        return reference.description.clone();
    }
    let described = match resolve(schema, schemas) {
        Some(Schema::Object(o)) => o.description.clone(),
        Some(Schema::Array(a)) => a.description.clone(),
        Some(Schema::OneOf(o)) => o.description.clone(),
        Some(Schema::AllOf(a)) => a.description.clone(),
        _ => None,
    };
    described.unwrap_or_default()
}

/// Every field of `schema` (an object, or objects merged with `allOf`), named from `prefix`.
fn fields_of(schema: &RefOr<Schema>, schemas: &Schemas, prefix: &str, out: &mut Vec<FieldView>) {
    match resolve(schema, schemas) {
        Some(Schema::Object(object)) => {
            for (name, field) in &object.properties {
                let name = format!("{prefix}{name}");
                out.push(FieldView {
                    name: name.clone(),
                    description: markdown::to_html(&description_of(field, schemas)),
                });
                inner_fields(field, schemas, &name, out);
            }
        }
        Some(Schema::AllOf(all)) => {
            for part in &all.items {
                fields_of(part, schemas, prefix, out);
            }
        }
        _ => {}
    }
}

/// The fields inside the field `name`: an object's (`name.x`), an array's items' (`name[].x`).
fn inner_fields(field: &RefOr<Schema>, schemas: &Schemas, name: &str, out: &mut Vec<FieldView>) {
    match resolve(field, schemas) {
        Some(Schema::Array(array)) => {
            if let ArrayItems::RefOrSchema(items) = &array.items {
                fields_of(items, schemas, &format!("{name}[]."), out);
            }
        }
        Some(Schema::Object(object)) if !object.properties.is_empty() => {
            fields_of(field, schemas, &format!("{name}."), out);
        }
        Some(Schema::AllOf(_)) => fields_of(field, schemas, &format!("{name}."), out),
        Some(Schema::OneOf(one)) => {
            for choice in &one.items {
                inner_fields(choice, schemas, name, out);
            }
        }
        _ => {}
    }
}

/// The fields of an operation's 200 JSON answer.
fn answer_fields(op: &utoipa::openapi::path::Operation, schemas: &Schemas) -> Vec<FieldView> {
    let mut fields = Vec::new();
    let schema = match op.responses.responses.get("200") {
        Some(RefOr::T(response)) => response
            .content
            .get("application/json")
            .and_then(|c| c.schema.as_ref()),
        _ => None,
    };
    if let Some(schema) = schema {
        fields_of(schema, schemas, "", &mut fields);
    }
    fields
}

fn endpoints() -> Vec<EndpointView> {
    let document = ApiDoc::openapi();
    let schemas = document.components.map(|c| c.schemas).unwrap_or_default();
    document
        .paths
        .paths
        .into_iter()
        .filter_map(|(path, item)| {
            let op = item.get?;
            let fields = answer_fields(&op, &schemas);
            let opts_out = op
                .security
                .as_ref()
                .is_some_and(|all| all.iter().any(|r| *r == SecurityRequirement::default()));
            Some(EndpointView {
                fields,
                needs_token: !opts_out,
                path,
                summary: op.summary.unwrap_or_default(),
                description: markdown::to_html(&op.description.unwrap_or_default()),
                params: op
                    .parameters
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| ParamView {
                        name: p.name,
                        description: markdown::to_html(&p.description.unwrap_or_default()),
                        required: matches!(p.required, Required::True),
                    })
                    .collect(),
            })
        })
        .collect()
}

pub async fn show(
    member: OrgMember,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let base_url = public_origin(&req);
    render(&ApiDocsPage {
        nav: Some(Nav::for_member(&member, &state).await?),
        can_manage: member.role.can_manage(),
        name: member.org.name,
        slug: member.org.slug,
        base_url,
        endpoints: endpoints(),
    })
}
