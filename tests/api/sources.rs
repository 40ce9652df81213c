use sha2::{Digest, Sha256};

use crate::helpers::spawn_app;

const REPORT: &str = "shuangsheng-2021-government-work-report";

#[tokio::test]
async fn the_report_is_served_with_a_digest_that_matches_its_text() {
    let app = spawn_app().await;
    let list = app.json("/v1/sources").await;
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["data"][0]["id"], REPORT);

    let meta = app.json(&format!("/v1/sources/{REPORT}")).await;
    let meta = &meta["data"];
    assert_eq!(meta["published_on"], "2021-11-24");
    // Read to the town congress a month before it was put online; its address was not
    // captured, so none is given.
    assert_eq!(meta["delivered_on"], "2021-10-25");
    assert!(meta["url"].is_null());
    assert_eq!(meta["publisher_zh"], "巴中市恩阳区双胜镇人民政府");
    assert_eq!(meta["text_url"], format!("/v1/sources/{REPORT}/text"));

    let response = app.get(meta["text_url"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let text = response.bytes().await.unwrap();
    let on_disk = std::fs::read(format!("seed/sources/{REPORT}.txt")).unwrap();
    assert_eq!(text.as_ref(), on_disk.as_slice(), "served byte for byte");
    assert_eq!(meta["sha256"], hex::encode(Sha256::digest(&text)));
}

#[tokio::test]
async fn an_unknown_source_is_404_for_metadata_and_text() {
    let app = spawn_app().await;
    app.problem("/v1/sources/nope", 404).await;
    app.problem("/v1/sources/nope/text", 404).await;
}
