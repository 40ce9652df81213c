//! What harvesting portals read: the Atom feed of releases and the DCAT catalog.

use std::collections::HashSet;
use std::str::FromStr;

use crate::helpers::spawn_app;
use crate::portals::{correct_gdp_and_drop_covid, republish};

#[tokio::test]
async fn the_atom_feed_lists_releases_newest_first() {
    let app = spawn_app().await;
    republish(&app, correct_gdp_and_drop_covid);
    let response = app.get("/v1/feeds/releases.atom").await;
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let feed = atom_syndication::Feed::from_str(&response.text().await.unwrap()).unwrap();
    assert!(!feed.id().is_empty());
    assert!(!feed.title().is_empty());
    assert!(feed.links().iter().any(|l| l.rel() == "self"));
    let entries = feed.entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].title().as_str(), "Correction");
    assert!(entries[0].updated() >= entries[1].updated());
    for entry in entries {
        assert!(!entry.id().is_empty());
        let changes = entry
            .links()
            .iter()
            .find(|l| l.rel() == "alternate")
            .unwrap();
        let path = &changes.href()[changes.href().find("/v1/").unwrap()..];
        let listed = app.json(path).await;
        assert!(listed["meta"]["total"].as_u64().unwrap() >= 2, "{path}");
    }
}

#[tokio::test]
async fn the_catalog_is_the_same_rdf_graph_in_jsonld_and_turtle() {
    use oxrdf::{Graph, NamedNodeRef};
    let app = spawn_app().await;
    let jsonld = app.get("/v1/catalog").await;
    assert_eq!(jsonld.headers()["content-type"], "application/ld+json");
    let jsonld = jsonld.bytes().await.unwrap();
    let turtle = app
        .client
        .get(format!("{}/v1/catalog", app.address))
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert!(turtle.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/turtle"));
    let turtle = turtle.bytes().await.unwrap();

    let mut from_jsonld = Graph::default();
    for quad in oxjsonld::JsonLdParser::new().for_slice(&jsonld) {
        from_jsonld.insert(&quad.unwrap().into());
    }
    let mut from_turtle = Graph::default();
    for triple in oxttl::TurtleParser::new().for_slice(&turtle) {
        from_turtle.insert(&triple.unwrap());
    }
    assert_eq!(from_jsonld, from_turtle);

    let a = NamedNodeRef::new("http://www.w3.org/1999/02/22-rdf-syntax-ns#type").unwrap();
    let of_type = |class: &str| {
        from_turtle
            .subjects_for_predicate_object(a, NamedNodeRef::new(class).unwrap())
            .count()
    };
    assert_eq!(of_type("http://www.w3.org/ns/dcat#Catalog"), 1);
    let categories = app.json("/v1/indicators?limit=1000").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["category"].as_str().unwrap().to_owned())
        .collect::<HashSet<_>>();
    assert_eq!(
        of_type("http://www.w3.org/ns/dcat#Dataset"),
        categories.len() + 1
    );
    assert_eq!(
        of_type("http://www.w3.org/ns/dcat#Distribution"),
        categories.len() * 4 + 7
    );
    let access = NamedNodeRef::new("http://www.w3.org/ns/dcat#accessURL").unwrap();
    let media = NamedNodeRef::new("http://www.w3.org/ns/dcat#mediaType").unwrap();
    for distribution in from_turtle.subjects_for_predicate_object(
        a,
        NamedNodeRef::new("http://www.w3.org/ns/dcat#Distribution").unwrap(),
    ) {
        assert!(from_turtle
            .object_for_subject_predicate(distribution, access)
            .is_some());
        assert!(from_turtle
            .object_for_subject_predicate(distribution, media)
            .is_some());
    }
    let problem = app.problem("/v1/catalog?format=rdfxml", 406).await;
    assert_eq!(problem["parameter"], "format");
}
