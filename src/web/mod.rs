//! Browser routes: server-rendered pages, one file per resource.
pub mod access_request;
pub mod account;
pub mod analytics;
pub mod api_docs;
pub mod api_settings;
pub mod assets;
pub mod connect;
pub mod error;
pub mod feedback_import;
pub mod health;
pub mod home;
pub mod invitation;
pub mod layout;
pub mod login;
pub mod markdown;
pub mod members;
pub mod notifications;
pub mod orgs;
pub mod password;
pub mod password_reset;
pub mod staff;
pub mod sudo;
pub mod time;
pub mod time_zone;
pub mod two_factor;

use actix_web::{guard, web};

use crate::error::AppError;
use error::WebError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/static/{name}").route(get_or_head().to(assets::serve)))
        .route("/livez", get_or_head().to(health::live))
        .route("/readyz", get_or_head().to(health::ready))
        .route("/healthz", get_or_head().to(health::check))
        .route("/", web::get().to(home::show))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/login/two-factor", web::get().to(two_factor::form))
        .route("/login/two-factor", web::post().to(two_factor::submit))
        .route("/logout", web::post().to(login::logout))
        .route(
            "/forgot-password",
            web::get().to(password_reset::forgot_form),
        )
        .route(
            "/forgot-password",
            web::post().to(password_reset::forgot_submit),
        )
        .route("/reset-password", web::get().to(password_reset::reset_form))
        .route(
            "/reset-password",
            web::post().to(password_reset::reset_submit),
        )
        .route("/invitation", web::get().to(invitation::show))
        .route("/invitation/join", web::post().to(invitation::join))
        .route("/invitation/register", web::post().to(invitation::register))
        .route(
            "/account/notifications",
            web::post().to(notifications::save),
        )
        .route("/account/two-factor", web::get().to(two_factor::settings))
        .route("/account/two-factor", web::post().to(two_factor::enable))
        .route(
            "/account/two-factor/disable",
            web::post().to(two_factor::disable),
        )
        .route("/account", web::get().to(account::show))
        .route("/account/sessions/end", web::post().to(account::end))
        .route(
            "/account/sessions/end-others",
            web::post().to(account::end_others),
        )
        .route("/account/password", web::get().to(password::form))
        .route("/account/password", web::post().to(password::change))
        .route("/account/time-zone", web::post().to(time_zone::save))
        .route("/staff/mail", web::get().to(staff::mail::list))
        .route("/staff/mail/{id}/retry", web::post().to(staff::mail::retry))
        .route("/staff/users", web::get().to(staff::users::find))
        .route("/staff/users/{id}", web::get().to(staff::users::show))
        .service(
            web::resource("/staff/users/{id}/{action}")
                .route(web::get().to(staff::users::confirm))
                .route(web::post().to(staff::users::act)),
        )
        .route("/staff/orgs", web::get().to(staff::list))
        .route("/staff/orgs", web::post().to(staff::create))
        .route("/staff/orgs/{slug}", web::get().to(staff::show))
        .route(
            "/staff/orgs/{slug}/api-access",
            web::post().to(staff::set_api_access),
        )
        .route(
            "/staff/orgs/{slug}/access-request/decline",
            web::post().to(staff::decline_request),
        )
        .route(
            "/staff/orgs/{slug}/invitations",
            web::post().to(staff::invite_owner),
        )
        .route(
            "/staff/orgs/{slug}/invitations/{id}/resend",
            web::post().to(staff::resend_invitation),
        )
        .route("/orgs/{slug}", web::get().to(orgs::home))
        .route("/orgs/{slug}/leave", web::post().to(members::leave))
        .service(
            web::scope("/orgs/{slug}/settings/members")
                .route("", web::get().to(members::show))
                .route("/invite", web::post().to(members::invite))
                .route("/{user_id}/role", web::post().to(members::change_role))
                .route("/{user_id}/remove", web::post().to(members::remove))
                .route(
                    "/invitations/{id}/{action}",
                    web::post().to(members::invitation),
                ),
        )
        .route("/orgs/{slug}/settings", web::get().to(orgs::settings))
        .route("/orgs/{slug}/analytics", web::get().to(analytics::show))
        .route(
            "/orgs/{slug}/analytics/export",
            web::get().to(analytics::export),
        )
        .route("/orgs/{slug}/api-docs", web::get().to(api_docs::show))
        .route("/orgs/{slug}/connect", web::get().to(connect::show))
        .service(
            web::resource("/orgs/{slug}/import")
                .app_data(web::PayloadConfig::new(feedback_import::IMPORT_LIMIT_BYTES))
                .route(web::get().to(feedback_import::form))
                .route(web::post().to(feedback_import::submit)),
        )
        .service(
            web::scope("/orgs/{slug}/settings/api")
                .route("", web::get().to(api_settings::show))
                .route("/generate", web::post().to(api_settings::generate))
                .service(
                    web::resource("/regenerate")
                        .route(web::get().to(api_settings::review_regenerate))
                        .route(web::post().to(api_settings::regenerate)),
                )
                .service(
                    web::resource("/revoke")
                        .route(web::get().to(api_settings::review_revoke))
                        .route(web::post().to(api_settings::revoke)),
                )
                .service(
                    web::resource("/grace/end")
                        .route(web::get().to(api_settings::review_end_grace))
                        .route(web::post().to(api_settings::end_grace)),
                )
                .service(
                    web::resource("/reveal")
                        .route(web::get().to(api_settings::show_revealed))
                        .route(web::post().to(api_settings::reveal)),
                )
                .route("/copied", web::post().to(api_settings::copied))
                .route("/request-access", web::post().to(access_request::ask)),
        )
        .default_service(web::to(not_found));
}

/// GET, and HEAD with the same headers and no body (actix drops it).
fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

async fn not_found() -> Result<actix_web::HttpResponse, WebError> {
    Err(AppError::NotFound.into())
}
