use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_migrations::MigrationHarness;
use township_stats::db::MIGRATIONS;

use crate::helpers::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn tables(conn: &mut PgConnection) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables
         WHERE table_schema = 'public' AND table_name IN ('places', 'indicators', 'sources', 'observations',
             'loads', 'releases', 'observation_revisions', 'data_version')",
    )
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

#[test]
fn migrations_run_up_down_and_up_again() {
    let db = TestDatabase::empty();
    let mut conn = db.connect();
    conn.run_pending_migrations(MIGRATIONS).unwrap();
    assert_eq!(tables(&mut conn), 8);
    conn.revert_all_migrations(MIGRATIONS).unwrap();
    assert_eq!(tables(&mut conn), 0);
    conn.run_pending_migrations(MIGRATIONS).unwrap();
    assert_eq!(tables(&mut conn), 8);
    let summary = township_stats::seed::load(&mut conn, false).unwrap();
    assert!(summary.ran);
    assert!(summary.publication.added >= 60);
}
