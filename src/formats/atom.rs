//! The Atom feed (RFC 4287) of releases.

use atom_syndication::{Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text};
use chrono::{DateTime, Utc};

use crate::db::releases::Release;

pub const CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

fn link(href: String, rel: &str, mime: &str) -> Link {
    let mut link = Link::default();
    link.set_href(href);
    link.set_rel(rel);
    link.set_mime_type(Some(mime.to_owned()));
    link
}

fn fixed(at: DateTime<Utc>) -> FixedDateTime {
    at.fixed_offset()
}

/// The feed of `releases` (newest first), for an API at `base_url`, last changed at `updated`.
pub fn releases_feed(base_url: &str, releases: &[Release], updated: DateTime<Utc>) -> String {
    let mut feed = Feed::default();
    feed.set_id(format!("{base_url}/v1/feeds/releases.atom"));
    feed.set_title("township-stats: releases and corrections");
    feed.set_subtitle(Some(Text::plain(
        "Each load that adds, corrects or retracts observations.",
    )));
    feed.set_updated(fixed(releases.first().map_or(updated, |r| r.released_at)));
    feed.set_authors(vec![Person {
        name: "township-stats".to_owned(),
        uri: Some(base_url.to_owned()),
        ..Person::default()
    }]);
    feed.set_generator(Some(Generator {
        value: "township-stats".to_owned(),
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        ..Generator::default()
    }));
    feed.set_links(vec![
        link(
            format!("{base_url}/v1/feeds/releases.atom"),
            "self",
            "application/atom+xml",
        ),
        link(
            format!("{base_url}/v1/releases"),
            "alternate",
            "application/json",
        ),
    ]);
    let entries = releases
        .iter()
        .map(|r| {
            let changes = format!("{base_url}/v1/observations?release={}", r.id);
            let mut entry = Entry::default();
            entry.set_id(format!("{base_url}/v1/releases/{}", r.id));
            entry.set_title(r.title.clone());
            entry.set_updated(fixed(r.released_at));
            entry.set_published(Some(fixed(r.released_at)));
            entry.set_summary(Some(Text::plain(r.summary.clone())));
            entry.set_links(vec![
                link(changes.clone(), "alternate", "application/json"),
                link(format!("{changes}&format=csv"), "related", "text/csv"),
            ]);
            entry.set_content(Some(Content {
                value: Some(format!(
                    "Release {}: {} observations added, {} changed, {} retracted. Changed \
                     observations: {changes}",
                    r.id, r.observations_added, r.observations_changed, r.observations_retracted
                )),
                content_type: Some("text".to_owned()),
                ..Content::default()
            }));
            entry
        })
        .collect::<Vec<_>>();
    feed.set_entries(entries);
    feed.to_string()
}
