use serde_json::Value;

use crate::helpers::{assert_problem, parse_csv as parse, spawn_app, TestApp};

const EVERY_FIGURE: &str = "/v1/observations?place=511903114&descendants=true";

async fn csv_of(
    app: &TestApp,
    path: &str,
    accept: Option<&str>,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    (headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn csv_by_parameter_or_accept_is_the_same_file_with_every_figure() {
    let app = spawn_app().await;
    let (headers, by_param) = csv_of(&app, &format!("{EVERY_FIGURE}&format=csv"), None).await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"observations-511903114-descendants.csv\""
    );
    let (_, by_accept) = csv_of(&app, EVERY_FIGURE, Some("text/csv")).await;
    assert_eq!(by_param, by_accept);
    assert!(
        !by_param.starts_with(b"\xEF\xBB\xBF"),
        "no BOM unless asked"
    );

    let json = app.json(&format!("{EVERY_FIGURE}&limit=1000")).await;
    let (header, rows) = parse(&by_param);
    assert_eq!(header, township_stats::formats::csv::OBSERVATION_COLUMNS);
    assert_eq!(
        rows.len() as u64,
        json["meta"]["total"].as_u64().unwrap(),
        "no row cap, no paging"
    );

    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, o) in rows.iter().zip(json["data"].as_array().unwrap()) {
        assert_eq!(row[column("id")], o["id"].to_string());
        assert_eq!(
            row[column("quote")],
            o["quote"].as_str().unwrap(),
            "quotes with commas survive"
        );
        assert_eq!(
            row[column("place_name_zh")],
            o["place"]["name_zh"].as_str().unwrap()
        );
        assert_eq!(row[column("value")], o["value"].to_string(), "exact value");
        assert!(!row[column("value")].contains(['e', 'E']), "no exponent");
        assert_eq!(
            row[column("citation_en")],
            o["citation"]["en"].as_str().unwrap()
        );
        assert_eq!(
            row[column("citation_zh")],
            o["citation"]["zh"].as_str().unwrap()
        );
    }
    let investment = rows
        .iter()
        .find(|r| r[column("indicator_code")] == "poverty_fiscal_investment")
        .unwrap();
    assert_eq!(investment[column("value")], "278650000");
    assert_eq!(investment[column("unit_as_written")], "万元");
    // Quotes inside a field are doubled, and the reader gives them back.
    let cited = &investment[column("citation_en")];
    assert!(cited
        .contains("\"Shuangsheng Town, Enyang District, Bazhong: 2021 Government Work Report\""));
}

#[tokio::test]
async fn bom_and_limit_shape_the_csv() {
    let app = spawn_app().await;
    let (_, bytes) = csv_of(&app, &format!("{EVERY_FIGURE}&format=csv&bom=true"), None).await;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let (header, rows) = parse(&bytes[3..]);
    assert_eq!(header[0], "id");
    assert!(rows.len() >= 60);

    let (_, bytes) = csv_of(&app, &format!("{EVERY_FIGURE}&format=csv&limit=5"), None).await;
    assert_eq!(parse(&bytes).1.len(), 5);
}

#[tokio::test]
async fn every_list_endpoint_speaks_csv() {
    let app = spawn_app().await;
    for (path, total_path, first_column) in [
        (
            "/v1/places?parent=511903&format=csv",
            "/v1/places?parent=511903",
            "code",
        ),
        (
            "/v1/places?level=village&format=csv",
            "/v1/places?level=village",
            "code",
        ),
        ("/v1/indicators?format=csv", "/v1/indicators", "code"),
        ("/v1/sources?format=csv", "/v1/sources", "id"),
    ] {
        let (headers, bytes) = csv_of(&app, path, None).await;
        assert!(headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        let (header, rows) = parse(&bytes);
        assert_eq!(header[0], first_column);
        let total = app.json(total_path).await["meta"]["total"]
            .as_u64()
            .unwrap();
        assert_eq!(rows.len() as u64, total, "{path}");
    }
    let (_, bytes) = csv_of(&app, "/v1/places?level=village&format=csv", None).await;
    let (_, rows) = parse(&bytes);
    assert!(rows
        .iter()
        .any(|r| r[0] == "511903114L005" && r[3] == "红岩社区"));
}

#[tokio::test]
async fn jsonstat_is_a_dense_cube_with_qualifiers_in_status() {
    let app = spawn_app().await;
    let json = app.json(&format!("{EVERY_FIGURE}&limit=1000")).await;
    let observations = json["data"].as_array().unwrap();
    let response = app.get(&format!("{EVERY_FIGURE}&format=jsonstat")).await;
    assert_eq!(response.status(), 200);
    let ds: Value = response.json().await.unwrap();
    assert_eq!(ds["version"], "2.0");
    assert_eq!(ds["class"], "dataset");
    assert_eq!(
        ds["id"],
        serde_json::json!(["indicator", "place", "period", "kind", "source"])
    );
    assert_eq!(ds["role"]["geo"], serde_json::json!(["place"]));
    assert_eq!(ds["role"]["time"], serde_json::json!(["period"]));
    assert_eq!(ds["role"]["metric"], serde_json::json!(["indicator"]));
    assert!(ds["updated"].is_string());

    let size: Vec<usize> = ds["size"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap() as usize)
        .collect();
    let values = ds["value"].as_array().unwrap();
    assert_eq!(size.iter().product::<usize>(), values.len());
    let ids = ["indicator", "place", "period", "kind", "source"];
    let index = |dim: &str, code: &str| -> usize {
        ds["dimension"][dim]["category"]["index"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == code)
            .unwrap_or_else(|| panic!("{code} in {dim}"))
    };
    for (d, dim) in ids.iter().enumerate() {
        assert_eq!(
            ds["dimension"][dim]["category"]["index"]
                .as_array()
                .unwrap()
                .len(),
            size[d]
        );
    }
    for o in observations {
        let period = if o["period_start"] == o["period_end"] {
            o["period_start"].to_string()
        } else {
            format!("{}-{}", o["period_start"], o["period_end"])
        };
        let at = (((index("indicator", o["indicator"]["code"].as_str().unwrap()) * size[1]
            + index("place", o["place"]["code"].as_str().unwrap()))
            * size[2]
            + index("period", &period))
            * size[3]
            + index("kind", o["kind"].as_str().unwrap()))
            * size[4]
            + index("source", o["source"].as_str().unwrap());
        assert_eq!(values[at].to_string(), o["value"].to_string(), "cell {at}");
        let status = &ds["status"][at.to_string()];
        if o["qualifier"] == "exact" {
            assert!(status.is_null());
        } else {
            assert_eq!(status, &o["qualifier"]);
        }
    }
    assert_eq!(
        values.iter().filter(|v| !v.is_null()).count(),
        observations.len()
    );
    assert_eq!(
        ds["dimension"]["indicator"]["category"]["unit"]["poverty_fiscal_investment"]["label"],
        "yuan"
    );
    assert!(ds["extension"]["status"]["more_than"].is_string());
}

#[tokio::test]
async fn sdmx_csv_has_the_sdmx_columns_and_one_row_an_observation() {
    let app = spawn_app().await;
    let (headers, bytes) = csv_of(&app, &format!("{EVERY_FIGURE}&format=sdmx-csv"), None).await;
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/vnd.sdmx.data+csv"));
    let (header, rows) = parse(&bytes);
    assert_eq!(
        header,
        [
            "STRUCTURE",
            "STRUCTURE_ID",
            "ACTION",
            "INDICATOR",
            "REF_AREA",
            "TIME_PERIOD",
            "OBS_KIND",
            "OBS_VALUE",
            "UNIT_MEASURE",
            "VALUE_QUALIFIER",
            "OBS_COMMENT",
            "SOURCE"
        ]
    );
    assert!(rows.len() >= 60);
    assert!(rows.iter().all(|r| r[0] == "dataflow"
        && r[1] == "TOWNSHIP_STATS:DF_TOWNSHIP_OBS(1.0.0)"
        && r[2] == "I"));
    let sewage = rows
        .iter()
        .find(|r| r[3] == "SEWAGE_HARMLESS_TREATMENT_RATE")
        .unwrap();
    assert_eq!(
        (
            sewage[5].as_str(),
            sewage[6].as_str(),
            sewage[7].as_str(),
            sewage[9].as_str()
        ),
        ("2021-01-01/P5Y", "TARGET", "55", "AT_LEAST")
    );
    let (_, by_accept) = csv_of(
        &app,
        EVERY_FIGURE,
        Some("application/vnd.sdmx.data+csv; version=2.0.0"),
    )
    .await;
    assert_eq!(by_accept, bytes);
}

#[tokio::test]
async fn formats_that_cannot_be_produced_are_406_listing_the_supported() {
    let app = spawn_app().await;
    let problem = app.problem("/v1/observations?format=xlsx", 406).await;
    assert_eq!(problem["parameter"], "format");
    let detail = problem["detail"].as_str().unwrap();
    for name in ["json", "csv", "jsonstat", "sdmx-csv"] {
        assert!(detail.contains(name), "{detail}");
    }
    let response = app
        .client
        .get(format!("{}/v1/observations", app.address))
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_problem(response, 406).await;
    let problem = app.problem("/v1/places?format=jsonstat", 406).await;
    assert!(
        !problem["detail"].as_str().unwrap().contains("sdmx"),
        "places offer json and csv only"
    );
}

#[tokio::test]
async fn every_observation_carries_a_citation_and_its_own_url() {
    let app = spawn_app().await;
    let body = app
        .json("/v1/observations?indicator=poverty_exit_persons")
        .await;
    let o = &body["data"][0];
    let url = o["url"].as_str().unwrap();
    assert!(url.ends_with(&format!("/v1/observations/{}", o["id"])));
    for lang in ["zh", "en"] {
        let citation = o["citation"][lang].as_str().unwrap();
        assert!(citation.contains(o["quote"].as_str().unwrap()), "{lang}");
        assert!(citation.contains("2021-11-24"), "{lang}");
        assert!(citation.contains(url), "{lang}");
    }
    assert!(o["citation"]["zh"]
        .as_str()
        .unwrap()
        .contains("双胜镇人民政府"));
    let single = app.json(&url[url.find("/v1/").unwrap()..]).await;
    assert_eq!(single["data"]["value"], o["value"]);
    assert_eq!(single["data"]["citation"], o["citation"]);
    app.problem("/v1/observations/999999", 404).await;
    let problem = app.problem("/v1/observations/abc", 400).await;
    assert_eq!(problem["parameter"], "id");
}
