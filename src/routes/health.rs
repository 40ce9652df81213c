//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{self, Database};
use crate::error::{ApiError, Problem};

#[derive(Serialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Whether the process is up. Does not touch the database.
#[utoipa::path(tag = "health", responses((status = 200, body = Status)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// Whether the service can answer data requests: the database is reachable.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = Status),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(pool: web::Data<Database>) -> Result<HttpResponse, ApiError> {
    db::run(&pool, |conn| {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map_err(ApiError::unavailable)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Status { status: "ready" }))
}
