use std::collections::HashSet;

use crate::helpers::spawn_app;

#[tokio::test]
async fn every_level_of_the_gazetteer_is_listed_in_full() {
    let app = spawn_app().await;
    for (level, total) in [
        ("province", 31),
        ("city", 342),
        ("county", 2_978),
        ("township", 41_352),
        ("village", 8),
    ] {
        let body = app.json(&format!("/v1/places?level={level}&limit=1")).await;
        assert_eq!(body["meta"]["total"], total, "{level}");
    }
}

#[tokio::test]
async fn paging_through_a_county_visits_each_township_once_in_code_order() {
    let app = spawn_app().await;
    let places = app.all_pages("/v1/places?parent=511903&limit=7").await;
    let codes: Vec<&str> = places.iter().map(|p| p["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
    assert_eq!(codes.iter().collect::<HashSet<_>>().len(), codes.len());
    assert!(codes.contains(&"511903114"));
    assert!(places
        .iter()
        .all(|p| p["parent_code"] == "511903" && p["level"] == "township"));
}

#[tokio::test]
async fn q_matches_chinese_english_and_toneless_pinyin() {
    let app = spawn_app().await;
    for q in ["双胜", "Shuangsheng%20Town", "shuangsheng", "ShuangSheng"] {
        let body = app.json(&format!("/v1/places?q={q}&level=township")).await;
        let codes: Vec<&str> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"511903114"), "q={q} found {codes:?}");
    }
    let body = app.json("/v1/places?q=%25").await;
    assert_eq!(body["meta"]["total"], 0, "% is matched literally");
}

#[tokio::test]
async fn a_place_comes_with_its_ancestors_and_children() {
    let app = spawn_app().await;
    let body = app.json("/v1/places/511903114").await;
    let place = &body["data"];
    assert_eq!(place["name_zh"], "双胜镇");
    assert_eq!(place["name_en"], "Shuangsheng Town");
    assert_eq!(place["name"], "双胜镇");
    assert_eq!(place["level"], "township");
    let ancestors: Vec<&str> = place["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(ancestors, ["511903", "5119", "51"]);
    let children: Vec<(&str, &str)> = place["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["name_zh"].as_str().unwrap()))
        .collect();
    assert_eq!(children.len(), 8);
    assert!(children.contains(&("511903114L005", "红岩社区")));

    let body = app.json("/v1/places/511903114L005?lang=en").await;
    assert_eq!(body["data"]["name"], "Hongyan Community");
    assert_eq!(body["data"]["level"], "village");
    assert_eq!(body["data"]["ancestors"][0]["code"], "511903114");

    let body = app.json("/v1/places/51").await;
    assert_eq!(body["data"]["ancestors"].as_array().unwrap().len(), 0);
    assert_eq!(body["data"]["parent_code"], serde_json::Value::Null);
    assert_eq!(body["data"]["children"].as_array().unwrap().len(), 21);
}

#[tokio::test]
async fn an_unknown_place_is_404() {
    let app = spawn_app().await;
    let problem = app.problem("/v1/places/999999", 404).await;
    assert!(problem["detail"].as_str().unwrap().contains("999999"));
}
