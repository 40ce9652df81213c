//! Web pages over HTTP: what a browser and a shared cache see (the browser itself is driven by
//! scripts/browser-tests).

use crate::helpers::spawn_app;
use crate::portals::{correct_gdp_and_drop_covid, republish};

const TOWN: &str = "/places/511903114";

async fn page(app: &crate::helpers::TestApp, path: &str) -> (reqwest::header::HeaderMap, String) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-type"], "text/html; charset=utf-8",
        "{path}"
    );
    (headers, response.text().await.unwrap())
}

#[tokio::test]
async fn every_page_type_answers_html_with_the_apis_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/?q=双胜",
        TOWN,
        "/places/511903",
        "/indicators/gdp",
        "/sources/shuangsheng-2021-government-work-report",
        "/releases",
        "/releases/1",
    ] {
        for lang in ["", "lang=en"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let path = if lang.is_empty() {
                path.to_owned()
            } else {
                format!("{path}{sep}{lang}")
            };
            let (headers, body) = page(&app, &path).await;
            for header in [
                "etag",
                "last-modified",
                "x-request-id",
                "x-content-type-options",
            ] {
                assert!(headers.contains_key(header), "{path} lacks {header}");
            }
            // No script on any page: the CSP allows none inline, and none is needed.
            assert!(!body.contains("<script"), "{path} has a script");
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"));
            let html_lang = if lang.is_empty() { "zh-Hans" } else { "en" };
            assert!(
                body.contains(&format!("<html lang=\"{html_lang}\">")),
                "{path}"
            );
            assert!(body.contains("<link rel=\"canonical\""), "{path}");
        }
    }
    let css = app.get("/assets/site.css").await;
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn the_township_page_shows_the_reports_figures_in_its_words() {
    let app = spawn_app().await;
    let (_, zh) = page(&app, TOWN).await;
    for shown in [
        "双胜镇",
        "四川省",
        "4459人",
        "4,459 人",
        "27865万元",
        "278,650,000 元",
        "4500余亩",
        "/sources/shuangsheng-2021-government-work-report#q",
        "/v1/observations.csv?place=511903114&#38;bom=true",
    ] {
        assert!(zh.contains(shown), "the township page shows {shown}");
    }
    let (_, en) = page(&app, &format!("{TOWN}?lang=en")).await;
    for shown in ["Shuangsheng", "278,650,000 yuan", "more than 4,500 mu"] {
        assert!(en.contains(shown), "the English page shows {shown}");
    }
    // Every quoted span of the source is one highlight with its anchor.
    let (_, source) = page(&app, "/sources/shuangsheng-2021-government-work-report").await;
    let listed = app
        .json("/v1/observations?source=shuangsheng-2021-government-work-report&limit=1000")
        .await;
    for o in listed["data"].as_array().unwrap() {
        let anchor = format!("id=\"q{}-{}\"", o["quote_start"], o["quote_end"]);
        assert!(source.contains(&anchor), "the source page has {anchor}");
    }
    assert!(source.contains("<mark"));
}

#[tokio::test]
async fn pages_revalidate_and_change_with_the_data() {
    let app = spawn_app().await;
    let (headers, before) = page(&app, TOWN).await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(format!("{}{TOWN}", app.address))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(before.contains("16.9亿元"));

    republish(&app, correct_gdp_and_drop_covid);
    let changed = loop {
        let answer = app
            .client
            .get(format!("{}{TOWN}", app.address))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        if answer.status() == 200 {
            break answer.text().await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert!(changed.contains("4.27亿元"), "the corrected GDP");
    assert!(
        !changed.contains("covid_cases"),
        "the retracted figure is gone"
    );
}

#[tokio::test]
async fn a_page_for_nothing_is_a_problem_and_a_bad_parameter_is_named() {
    let app = spawn_app().await;
    for path in [
        "/places/999999999",
        "/indicators/nothing",
        "/sources/nothing",
        "/releases/999",
        "/releases/x",
    ] {
        app.problem(path, 404).await;
    }
    let problem = app.problem(&format!("{TOWN}?lang=fr"), 400).await;
    assert_eq!(problem["parameter"], "lang");
    let problem = app.problem("/indicators/gdp?sort=colour", 400).await;
    assert_eq!(problem["parameter"], "sort");
    // A page for people ignores what it does not know (a campaign tag).
    page(&app, &format!("{TOWN}?utm_source=news")).await;
    let post = app
        .client
        .post(format!("{}{TOWN}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(post.headers()["allow"], "GET, HEAD");
    crate::helpers::assert_problem(post, 405).await;
}

#[tokio::test]
async fn the_sitemap_lists_every_page_type() {
    let app = spawn_app().await;
    let response = app.get("/sitemap.xml").await;
    assert_eq!(response.status(), 200);
    let xml = response.text().await.unwrap();
    for path in [
        "/places/51</loc>",
        "/places/511903114</loc>",
        "/places/511903114?lang=en</loc>",
        "/indicators/gdp</loc>",
        "/sources/shuangsheng-2021-government-work-report</loc>",
        "/releases/1</loc>",
    ] {
        assert!(xml.contains(path), "the sitemap has {path}");
    }
}
