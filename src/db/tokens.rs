//! Publishers' tokens, kept only as SHA-256 digests.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::api_tokens;

/// A token as `token list` shows it: never the token itself, which is not stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::pg::Pg))]
pub struct Token {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub fn insert(
    conn: &mut PgConnection,
    name: &str,
    sha256: &[u8],
    expires_at: Option<DateTime<Utc>>,
) -> QueryResult<usize> {
    let statement = diesel::insert_into(api_tokens::table).values((
        api_tokens::name.eq(name),
        api_tokens::sha256.eq(sha256),
        api_tokens::expires_at.eq(expires_at),
    ));
    diesel::RunQueryDsl::execute(statement, conn)
}

pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<Token>> {
    let query = api_tokens::table
        .select(Token::as_select())
        .order(api_tokens::name);
    diesel::RunQueryDsl::load(query, conn)
}

/// Revokes the token named `name`; 0 when there is none, or it was revoked already.
pub fn revoke(conn: &mut PgConnection, name: &str) -> QueryResult<usize> {
    let statement = diesel::update(api_tokens::table)
        .filter(api_tokens::name.eq(name))
        .filter(api_tokens::revoked_at.is_null())
        .set(api_tokens::revoked_at.eq(diesel::dsl::now));
    diesel::RunQueryDsl::execute(statement, conn)
}

/// The token whose digest is `sha256`, if any, revoked and expired ones included.
pub async fn find(conn: &mut AsyncPgConnection, sha256: &[u8]) -> QueryResult<Option<Token>> {
    api_tokens::table
        .filter(api_tokens::sha256.eq(sha256))
        .select(Token::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn touch(conn: &mut AsyncPgConnection, name: &str) -> QueryResult<usize> {
    diesel::update(api_tokens::table)
        .filter(api_tokens::name.eq(name))
        .set(api_tokens::last_used_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
}
