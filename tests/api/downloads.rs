use std::collections::HashSet;

use crate::helpers::{parse_csv, spawn_app, TestDatabase};

fn header_and_count(bytes: &[u8]) -> (Vec<String>, usize) {
    let (header, rows) = parse_csv(bytes);
    (header, rows.len())
}

#[tokio::test]
async fn bulk_files_hold_whole_tables_described_by_the_data_package() {
    let app = spawn_app().await;
    let package = app.json("/v1/downloads/datapackage.json").await;
    assert_eq!(package["profile"], "tabular-data-package");
    let resources = package["resources"].as_array().unwrap();
    // Each part under its own terms: the gazetteer's WTFPL, the report's own statement.
    let licence =
        |name: &str| resources.iter().find(|r| r["name"] == name).unwrap()["licenses"][0].clone();
    assert_eq!(licence("places")["name"], "WTFPL");
    let source = app
        .json("/v1/sources/shuangsheng-2021-government-work-report")
        .await;
    assert_eq!(licence("observations")["title"], source["data"]["licence"]);
    assert_eq!(licence("observations")["name"], "other-pd");
    assert_eq!(licence("sources"), licence("observations"));
    assert!(
        package.get("licenses").is_none(),
        "no one licence for every part"
    );
    let names: HashSet<&str> = resources
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        HashSet::from(["places", "indicators", "sources", "observations"])
    );

    let totals = [
        ("places", 31 + 342 + 2_978 + 41_352 + 8),
        (
            "indicators",
            app.json("/v1/indicators").await["meta"]["total"]
                .as_u64()
                .unwrap() as usize,
        ),
        ("sources", 1),
        (
            "observations",
            app.json("/v1/observations").await["meta"]["total"]
                .as_u64()
                .unwrap() as usize,
        ),
    ];
    for resource in resources {
        let name = resource["name"].as_str().unwrap();
        let path = resource["path"].as_str().unwrap();
        assert_eq!(path, format!("{name}.csv"), "relative to /v1/downloads/");
        let response = app.get(&format!("/v1/downloads/{path}")).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        let (header, rows) = header_and_count(&response.bytes().await.unwrap());
        let fields: Vec<&str> = resource["schema"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            header, fields,
            "{name}: the schema names the columns in order"
        );
        let expected = totals.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(rows, expected, "{name}: every row");
        for key in resource["schema"]["primaryKey"].as_array().unwrap() {
            assert!(fields.contains(&key.as_str().unwrap()));
        }
    }
    let observations = resources
        .iter()
        .find(|r| r["name"] == "observations")
        .unwrap();
    let references: HashSet<&str> = observations["schema"]["foreignKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["reference"]["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        references,
        HashSet::from(["places", "indicators", "sources"])
    );
}

#[tokio::test]
async fn bulk_files_are_gzipped_when_the_client_accepts_it() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/v1/downloads/places.csv", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let body = response.bytes().await.unwrap();
    assert_eq!(&body[..2], b"\x1f\x8b", "a gzip stream");
    assert!(body.len() < 1_500_000, "compressed: {} bytes", body.len());
}

#[tokio::test]
async fn the_export_command_writes_the_same_files() {
    let db = TestDatabase::seeded();
    let mut conn = township_stats::db::connect_async(&db.url).await.unwrap();
    let dir = std::env::temp_dir().join(format!("ts-export-{}", db.name));
    let format = township_stats::formats::Format::Csv;
    let files =
        township_stats::export_files::write(&mut conn, format, &dir, "http://example.test", true)
            .await
            .unwrap();
    assert_eq!(
        files,
        [
            "observations.csv",
            "places.csv",
            "indicators.csv",
            "sources.csv",
            "datapackage.json"
        ]
    );
    let observations = std::fs::read(dir.join("observations.csv")).unwrap();
    assert!(observations.starts_with(b"\xEF\xBB\xBF"));
    let (header, rows) = header_and_count(&observations[3..]);
    assert_eq!(header, township_stats::formats::csv::OBSERVATION_COLUMNS);
    assert!(rows >= 60);
    assert!(String::from_utf8_lossy(&observations).contains("http://example.test/v1/observations/"));

    for (format, file) in [
        (
            township_stats::formats::Format::SdmxCsv,
            "observations.sdmx.csv",
        ),
        (
            township_stats::formats::Format::JsonStat,
            "observations.jsonstat.json",
        ),
    ] {
        let files = township_stats::export_files::write(&mut conn, format, &dir, "http://x", false)
            .await
            .unwrap();
        assert_eq!(files, [file]);
        assert!(std::fs::metadata(dir.join(file)).unwrap().len() > 1000);
    }
    let jsonstat: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("observations.jsonstat.json")).unwrap())
            .unwrap();
    assert_eq!(jsonstat["class"], "dataset");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn every_observation_download_says_how_many_rows_it_holds() {
    let app = spawn_app().await;
    for (path, rows) in [
        (
            "/v1/observations?place=511903114&descendants=true&format=csv",
            62,
        ),
        ("/v1/observations?place=511903114&format=sdmx-csv", 60),
        ("/v1/downloads/observations.csv", 62),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["x-total-count"],
            rows.to_string(),
            "{path}"
        );
        let (_, records) = parse_csv(&response.bytes().await.unwrap());
        assert_eq!(records.len(), rows, "{path}");
    }
}
