use crate::helpers::spawn_app;

#[tokio::test]
async fn indicators_list_with_names_units_and_categories() {
    let app = spawn_app().await;
    let all = app.all_pages("/v1/indicators?limit=10").await;
    assert!(all.len() >= 50);
    for indicator in &all {
        for field in [
            "code",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "category",
            "unit",
            "value_type",
        ] {
            assert!(
                !indicator[field].as_str().unwrap_or_default().is_empty(),
                "{field} of {}",
                indicator["code"]
            );
        }
    }
    let sanitation = app.json("/v1/indicators?category=sanitation").await;
    let data = sanitation["data"].as_array().unwrap();
    assert!(data.len() >= 5);
    assert!(data.iter().all(|i| i["category"] == "sanitation"));
    assert_eq!(sanitation["meta"]["total"], data.len());
}

#[tokio::test]
async fn one_indicator_in_either_language() {
    let app = spawn_app().await;
    let body = app
        .json("/v1/indicators/poverty_fiscal_investment?lang=en")
        .await;
    assert_eq!(body["data"]["unit"], "yuan");
    assert_eq!(body["data"]["value_type"], "money");
    assert_eq!(body["data"]["category"], "poverty_alleviation");
    assert_eq!(body["data"]["name"], body["data"]["name_en"]);
    assert_eq!(body["data"]["description"], body["data"]["description_en"]);
    let body = app.json("/v1/indicators/poverty_fiscal_investment").await;
    assert_eq!(body["data"]["name"], "脱贫攻坚财政资金投入");
}

#[tokio::test]
async fn an_unknown_indicator_or_category_is_404() {
    let app = spawn_app().await;
    app.problem("/v1/indicators/no_such_thing", 404).await;
    for path in [
        "/v1/indicators?category=weather",
        "/v1/observations?category=weather",
    ] {
        let problem = app.problem(path, 404).await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("`weather`"), "{detail}");
        assert!(detail.contains("sanitation"), "{detail}");
    }
}
