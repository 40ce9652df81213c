use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sha2::{Digest, Sha256};
use township_stats::seed;

use crate::helpers::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = Text)]
    digest: String,
}

fn snapshot(conn: &mut PgConnection) -> String {
    diesel::sql_query(
        "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM (
            SELECT row(o.*)::text AS t FROM observations o
            UNION ALL SELECT row(p.*)::text FROM places p
            UNION ALL SELECT row(i.*)::text FROM indicators i
            UNION ALL SELECT row(s.*)::text FROM sources s) rows",
    )
    .get_result::<Snapshot>(conn)
    .unwrap()
    .digest
}

#[test]
fn loading_the_seed_again_changes_nothing() {
    let db = TestDatabase::seeded();
    let mut conn = db.connect();
    let before = snapshot(&mut conn);

    let skipped = seed::load(&mut conn, false).unwrap();
    assert!(!skipped.ran, "unchanged files are not read again");

    let version = township_stats::db::releases::data_version_sync(&mut conn).unwrap();
    let forced = seed::load(&mut conn, true).unwrap();
    assert!(forced.ran);
    assert_eq!(forced.places_written, 0);
    assert_eq!(forced.indicators_written, 0);
    assert_eq!(forced.sources_written, 0);
    assert_eq!(
        forced.publication,
        seed::publish::Publication::default(),
        "no release"
    );
    assert_eq!(
        snapshot(&mut conn),
        before,
        "ids and values are as they were"
    );
    assert_eq!(
        township_stats::db::releases::data_version_sync(&mut conn).unwrap(),
        version,
        "the data version (and so every ETag) stays"
    );
}

#[test]
fn the_database_holds_every_quote_at_its_span_and_the_true_digest() {
    let db = TestDatabase::seeded();
    let mut conn = db.connect();
    let wrong: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM observations o JOIN sources s ON s.id = o.source_id
         WHERE substr(s.content, o.quote_start + 1, o.quote_end - o.quote_start) <> o.quote",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(wrong.n, 0);

    let text = std::fs::read("seed/sources/shuangsheng-2021-government-work-report.txt").unwrap();
    let stored: Snapshot = diesel::sql_query("SELECT sha256 AS digest FROM sources")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(stored.digest, hex::encode(Sha256::digest(&text)));
}

#[test]
fn the_database_refuses_a_digest_that_does_not_match_the_text() {
    let db = TestDatabase::seeded();
    let mut conn = db.connect();
    let result =
        diesel::sql_query("UPDATE sources SET content = content || ' '").execute(&mut conn);
    assert!(result.is_err(), "the CHECK constraint guards the digest");
}

#[test]
fn every_place_code_begins_with_its_parents_code() {
    let db = TestDatabase::seeded();
    let mut conn = db.connect();
    let broken: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM places c JOIN places p ON p.code = c.parent_code
         WHERE left(c.code, length(p.code)) <> p.code",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(broken.n, 0);
    let orphans: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM places WHERE level <> 'province' AND parent_code IS NULL",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(orphans.n, 0);
}
