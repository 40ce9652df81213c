use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use township_stats::synth::{self, SynthOptions, SOURCE_ID};

use crate::helpers::TestDatabase;

#[derive(QueryableByName, Debug, PartialEq)]
struct Shape {
    #[diesel(sql_type = Text)]
    place_code: String,
    #[diesel(sql_type = BigInt)]
    actuals: i64,
    #[diesel(sql_type = BigInt)]
    indicators: i64,
    #[diesel(sql_type = BigInt)]
    years: i64,
}

#[test]
fn synth_fills_the_first_townships_in_code_order_once() {
    let db = TestDatabase::seeded();
    let mut conn = db.connect();
    let options = SynthOptions {
        townships: 200,
        indicators: 40,
        years: 10,
        progress: false,
    };
    let first = synth::run(&mut conn, options).unwrap();
    assert_eq!(first.townships_added, 200);
    assert!(first.release_id.is_some());

    let shape: Vec<Shape> = diesel::sql_query(
        "SELECT place_code,
                count(*) FILTER (WHERE kind = 'actual') AS actuals,
                count(DISTINCT indicator_code) AS indicators,
                count(DISTINCT period_start) FILTER (WHERE kind = 'actual') AS years
         FROM observations WHERE source_id = 'synthetic'
         GROUP BY place_code ORDER BY place_code",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(shape.len(), 200);
    assert!(
        shape
            .iter()
            .all(|s| s.actuals == 400 && s.indicators == 40 && s.years == 10),
        "{:?}",
        shape[0]
    );
    // The first 200 townships in code order: Beijing's come first.
    let expected: Vec<String> = township_stats::db::schema::places::table
        .filter(
            township_stats::db::schema::places::level.eq(township_stats::domain::Level::Township),
        )
        .select(township_stats::db::schema::places::code)
        .order(township_stats::db::schema::places::code)
        .limit(200)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        shape
            .iter()
            .map(|s| s.place_code.clone())
            .collect::<Vec<_>>(),
        expected
    );
    assert!(expected[0].starts_with("11"));

    let total: i64 = township_stats::db::schema::observations::table
        .filter(township_stats::db::schema::observations::source_id.eq(SOURCE_ID))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(total as usize, first.observations_added);
    assert!(total > 80_000, "with some targets: {total}");
    let qualified: i64 = township_stats::db::schema::observations::table
        .filter(township_stats::db::schema::observations::source_id.eq(SOURCE_ID))
        .filter(
            township_stats::db::schema::observations::qualifier
                .ne(township_stats::domain::Qualifier::Exact),
        )
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(
        qualified > total / 20 && qualified < total / 3,
        "some qualifiers: {qualified}"
    );

    let again = synth::run(&mut conn, options).unwrap();
    assert_eq!(
        (
            again.townships_added,
            again.townships_present,
            again.release_id
        ),
        (0, 200, None)
    );
    // The published report is untouched.
    let report: i64 = township_stats::db::schema::observations::table
        .filter(
            township_stats::db::schema::observations::source_id
                .eq(township_stats::seed::report::REPORT_SOURCE_ID),
        )
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(report, 62);
}

#[test]
fn synth_refuses_sizes_it_cannot_make() {
    let db = TestDatabase::seeded();
    let mut conn = db.connect();
    let too_many = SynthOptions {
        townships: 10,
        indicators: 500,
        years: 10,
        progress: false,
    };
    assert!(synth::run(&mut conn, too_many)
        .unwrap_err()
        .to_string()
        .contains("--indicators"));
    let no_years = SynthOptions {
        townships: 10,
        indicators: 5,
        years: 0,
        progress: false,
    };
    assert!(synth::run(&mut conn, no_years).is_err());
}
