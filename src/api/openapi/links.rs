//! OpenAPI links: how one answer leads to the next request — the next page of feedback, and a
//! client's feedback and scores from the client list. Tools that walk an API by them
//! (schemathesis' stateful phase, API explorers) reach the deeper pages and real client ids.
use utoipa::Modify;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::{Link, LinkBuilder};
use utoipa::openapi::{RefOr, Response};

pub struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // A link can name a parameter only if every request has it: the others (`sort`, the
        // filters, `limit`) must be passed again as they were, which the description says.
        let next_page = to("listFeedback")
            .description(
                "The next page: `cursor` set to this page's `next_cursor` (`null` on the last \
                 page), every other parameter as in this request.",
            )
            .parameter("cursor", "$response.body#/next_cursor")
            .build();
        add(openapi, "/api/v1/feedback", "nextPage", next_page);

        let first_client = "$response.body#/data/0/id";
        for (name, operation, what) in [
            ("clientFeedback", "listFeedback", "feedback"),
            ("clientFeedbackCsv", "exportFeedbackCsv", "feedback as CSV"),
            ("clientScores", "getScores", "scores"),
        ] {
            let link = to(operation)
                .description(format!("The first client's {what}."))
                .parameter("client", first_client)
                .build();
            add(openapi, "/api/v1/clients", name, link);
        }
    }
}

/// A link to the operation `operation_id`. (utoipa 5.5 writes `Link::operation_id` in snake
/// case, which no tool reads: OpenAPI spells it `operationId`, so it goes in through the map of
/// fields the link is written with.)
fn to(operation_id: &str) -> LinkBuilder {
    let field = Extensions::from_iter([("operationId", operation_id)]);
    LinkBuilder::new().extensions(Some(field))
}

/// Adds `link` as `name` to the 200 answer of `GET path`.
fn add(openapi: &mut utoipa::openapi::OpenApi, path: &str, name: &str, link: Link) {
    let ok: Option<&mut Response> = openapi
        .paths
        .paths
        .get_mut(path)
        .and_then(|item| item.get.as_mut())
        .and_then(|op| op.responses.responses.get_mut("200"))
        .and_then(|response| match response {
            RefOr::T(response) => Some(response),
            RefOr::Ref(_) => None,
        });
    if let Some(ok) = ok {
        ok.links.insert(name.into(), RefOr::T(link));
    }
}
