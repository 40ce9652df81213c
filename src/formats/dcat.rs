//! The DCAT-AP 3.0 catalog as an RDF graph, written as JSON-LD or Turtle: the catalog, one
//! dataset per indicator category plus one for the bulk downloads, and a distribution for each
//! format the service serves.

use chrono::{DateTime, Utc};
use oxrdf::vocab::{rdf, xsd};
use oxrdf::{Graph, Literal, NamedNode, NamedNodeRef, Term, TripleRef};

use crate::db::catalog::CategoryCoverage;
use crate::db::sources::SourceMeta;

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
const IANA: &str = "http://www.iana.org/assignments/media-types/";
/// The licence of what township-stats itself writes: this catalog and the indicator
/// definitions. The data come under the terms of their sources.
const LICENCE: &str = "https://creativecommons.org/licenses/by/4.0/";
/// The licence of the place list (seed/admin-divisions-2023/LICENSE).
const GAZETTEER_LICENCE: &str = "http://www.wtfpl.net/";

pub const PREFIXES: [(&str, &str); 5] = [
    ("dcat", DCAT),
    ("dct", DCT),
    ("foaf", FOAF),
    ("vcard", VCARD),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

fn iri(text: impl Into<String>) -> NamedNode {
    NamedNode::new_unchecked(text)
}

struct Builder {
    graph: Graph,
}

impl Builder {
    fn add(&mut self, subject: &NamedNode, predicate: &str, object: impl Into<Term>) {
        let predicate = iri(predicate);
        let object: Term = object.into();
        self.graph
            .insert(TripleRef::new(subject, predicate.as_ref(), object.as_ref()));
    }

    fn class(&mut self, subject: &NamedNode, class: &str) {
        self.add(subject, rdf::TYPE.as_str(), iri(class));
    }

    fn text(&mut self, subject: &NamedNode, predicate: &str, value: &str, lang: &str) {
        self.add(
            subject,
            predicate,
            Literal::new_language_tagged_literal_unchecked(value, lang),
        );
    }

    fn typed(&mut self, subject: &NamedNode, predicate: &str, value: &str, datatype: NamedNodeRef) {
        self.add(
            subject,
            predicate,
            Literal::new_typed_literal(value, datatype),
        );
    }

    /// `dct:spatial` (the provinces, as place URLs) and `dct:temporal` (whole years).
    fn coverage(
        &mut self,
        base: &str,
        dataset: &NamedNode,
        provinces: &[String],
        start: i32,
        end: i32,
    ) {
        for province in provinces {
            self.add(
                dataset,
                &format!("{DCT}spatial"),
                iri(format!("{base}/v1/places/{province}")),
            );
        }
        let period = iri(format!("{}#period", dataset.as_str()));
        self.add(dataset, &format!("{DCT}temporal"), period.clone());
        self.class(&period, &format!("{DCT}PeriodOfTime"));
        self.typed(
            &period,
            &format!("{DCAT}startDate"),
            &format!("{start}-01-01"),
            xsd::DATE,
        );
        self.typed(
            &period,
            &format!("{DCAT}endDate"),
            &format!("{end}-12-31"),
            xsd::DATE,
        );
    }
}

/// One way to get a dataset's data.
struct Distribution {
    slug: &'static str,
    title: &'static str,
    url: String,
    media_type: &'static str,
    file_type: &'static str,
    download: bool,
}

fn title_of(category: &str) -> String {
    let words = category.replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Builds the catalog graph for an API at `base`.
pub fn catalog(
    base: &str,
    coverage: &[CategoryCoverage],
    sources: &[SourceMeta],
    modified: DateTime<Utc>,
    jsonstat_max_rows: i64,
) -> Graph {
    let mut b = Builder {
        graph: Graph::default(),
    };
    let modified = modified.to_rfc3339();
    let catalog = iri(format!("{base}/v1/catalog"));
    let publisher = iri(format!("{base}/v1/catalog#publisher"));
    let contact = iri(format!("{base}/v1/catalog#contact"));
    let licence = iri(LICENCE);

    b.class(&catalog, &format!("{DCAT}Catalog"));
    b.text(&catalog, &format!("{DCT}title"), "township-stats", "en");
    b.text(&catalog, &format!("{DCT}title"), "乡镇统计开放数据", "zh");
    b.text(
        &catalog,
        &format!("{DCT}description"),
        "Normalized statistics about Chinese townships by place and period; each number quotes the sentence of its source.",
        "en",
    );
    b.text(
        &catalog,
        &format!("{DCT}description"),
        "按地区和时期整理的中国乡镇统计数据，每个数字都附有来源原文。",
        "zh",
    );
    b.add(&catalog, &format!("{DCT}publisher"), publisher.clone());
    b.add(&catalog, &format!("{DCT}license"), licence.clone());
    b.add(
        &catalog,
        &format!("{FOAF}homepage"),
        iri(format!("{base}/docs/")),
    );
    b.typed(
        &catalog,
        &format!("{DCT}modified"),
        &modified,
        xsd::DATE_TIME,
    );
    b.add(
        &catalog,
        &format!("{DCT}language"),
        iri("http://publications.europa.eu/resource/authority/language/ZHO"),
    );
    b.add(
        &catalog,
        &format!("{DCT}language"),
        iri("http://publications.europa.eu/resource/authority/language/ENG"),
    );

    b.class(&publisher, &format!("{FOAF}Agent"));
    b.text(&publisher, &format!("{FOAF}name"), "township-stats", "en");
    b.class(&contact, &format!("{VCARD}Organization"));
    b.text(&contact, &format!("{VCARD}fn"), "township-stats", "en");
    b.add(
        &contact,
        &format!("{VCARD}hasURL"),
        iri(format!("{base}/docs/")),
    );
    b.class(&licence, &format!("{DCT}LicenseDocument"));
    let gazetteer_licence = iri(GAZETTEER_LICENCE);
    b.class(&gazetteer_licence, &format!("{DCT}LicenseDocument"));
    b.text(
        &gazetteer_licence,
        &format!("{DCT}title"),
        "WTFPL (the place codes and names)",
        "en",
    );
    // Each source's terms, as it states them; the observations quoting it come under them.
    let mut source_licences: Vec<NamedNode> = Vec::new();
    let mut source_publishers: Vec<NamedNode> = Vec::new();
    for source in sources {
        let node = if source.licence.contains(' ') {
            iri(format!("{base}/v1/sources/{}#licence", source.id))
        } else {
            iri(format!("https://spdx.org/licenses/{}", source.licence))
        };
        b.class(&node, &format!("{DCT}LicenseDocument"));
        b.text(&node, &format!("{DCT}title"), &source.licence, "en");
        if !source_licences.contains(&node) {
            source_licences.push(node);
        }
        let publisher = iri(format!("{base}/v1/sources/{}#publisher", source.id));
        b.class(&publisher, &format!("{FOAF}Agent"));
        b.text(
            &publisher,
            &format!("{FOAF}name"),
            &source.publisher_zh,
            "zh",
        );
        b.text(
            &publisher,
            &format!("{FOAF}name"),
            &source.publisher_en,
            "en",
        );
        source_publishers.push(publisher);
    }
    // What each distribution comes under, by its slug.
    let licences_of = |slug: &str| -> Vec<NamedNode> {
        match slug {
            "places" => vec![gazetteer_licence.clone()],
            "indicators" | "datapackage" => vec![licence.clone()],
            _ => source_licences.clone(),
        }
    };

    let mut datasets: Vec<(NamedNode, Vec<Distribution>)> = Vec::new();
    for c in coverage {
        let dataset = iri(format!("{base}/v1/catalog/datasets/{}", c.category));
        let query = format!("{base}/v1/observations?category={}", c.category);
        b.class(&dataset, &format!("{DCAT}Dataset"));
        b.typed(
            &dataset,
            &format!("{DCT}identifier"),
            &c.category,
            xsd::STRING,
        );
        b.text(
            &dataset,
            &format!("{DCT}title"),
            &format!(
                "Township statistics: {}",
                title_of(&c.category).to_lowercase()
            ),
            "en",
        );
        b.text(
            &dataset,
            &format!("{DCT}description"),
            &format!(
                "{} observation{} of {} indicator{} in the category {}, {}–{}.",
                c.observations,
                if c.observations == 1 { "" } else { "s" },
                c.indicators.len(),
                if c.indicators.len() == 1 { "" } else { "s" },
                c.category,
                c.period_start,
                c.period_end
            ),
            "en",
        );
        for name in &c.names_zh {
            b.text(&dataset, &format!("{DCAT}keyword"), name, "zh");
        }
        for name in &c.names_en {
            b.text(&dataset, &format!("{DCAT}keyword"), name, "en");
        }
        b.coverage(base, &dataset, &c.provinces, c.period_start, c.period_end);
        b.typed(
            &dataset,
            &format!("{DCT}modified"),
            &modified,
            xsd::DATE_TIME,
        );
        let distributions = vec![
            Distribution {
                slug: "json",
                title: "JSON (paginated)",
                url: query.clone(),
                media_type: "application/json",
                file_type: "JSON",
                download: false,
            },
            Distribution {
                slug: "csv",
                title: "CSV",
                url: format!("{query}&format=csv"),
                media_type: "text/csv",
                file_type: "CSV",
                download: true,
            },
            Distribution {
                slug: "jsonstat",
                title: "JSON-stat 2.0",
                url: format!("{query}&format=jsonstat"),
                media_type: "application/vnd.json-stat+json",
                file_type: "JSON",
                download: true,
            },
            Distribution {
                slug: "sdmx-csv",
                title: "SDMX-CSV 2.0",
                url: format!("{query}&format=sdmx-csv"),
                media_type: "application/vnd.sdmx.data+csv",
                file_type: "CSV",
                download: true,
            },
        ];
        datasets.push((dataset, distributions));
    }
    let bulk = iri(format!("{base}/v1/catalog/datasets/all"));
    b.class(&bulk, &format!("{DCAT}Dataset"));
    b.typed(&bulk, &format!("{DCT}identifier"), "all", xsd::STRING);
    b.text(
        &bulk,
        &format!("{DCT}title"),
        "Township statistics: every table, in bulk",
        "en",
    );
    b.text(&bulk, &format!("{DCT}description"), "Whole tables as CSV (observations, places, indicators, sources) and the Frictionless Data Package that describes them.", "en");
    b.typed(&bulk, &format!("{DCT}modified"), &modified, xsd::DATE_TIME);
    // The bulk files hold every category: their coverage is the union of the categories'.
    let mut provinces: Vec<String> = coverage.iter().flat_map(|c| c.provinces.clone()).collect();
    provinces.sort();
    provinces.dedup();
    let start = coverage.iter().map(|c| c.period_start).min();
    let end = coverage.iter().map(|c| c.period_end).max();
    if let (Some(start), Some(end)) = (start, end) {
        b.coverage(base, &bulk, &provinces, start, end);
    }
    for name in ["统计", "乡镇"] {
        b.text(&bulk, &format!("{DCAT}keyword"), name, "zh");
    }
    for name in ["statistics", "townships"] {
        b.text(&bulk, &format!("{DCAT}keyword"), name, "en");
    }
    let mut bulk_distributions: Vec<Distribution> =
        ["observations", "places", "indicators", "sources"]
            .into_iter()
            .map(|table| Distribution {
                slug: table,
                title: table,
                url: format!("{base}/v1/downloads/{table}.csv"),
                media_type: "text/csv",
                file_type: "CSV",
                download: true,
            })
            .collect();
    bulk_distributions.push(Distribution {
        slug: "datapackage",
        title: "Data Package (Table Schema)",
        url: format!("{base}/v1/downloads/datapackage.json"),
        media_type: "application/json",
        file_type: "JSON",
        download: true,
    });
    let all = format!("{base}/v1/observations");
    bulk_distributions.push(Distribution {
        slug: "sdmx-csv",
        title: "SDMX-CSV 2.0, every observation",
        url: format!("{all}?format=sdmx-csv"),
        media_type: "application/vnd.sdmx.data+csv",
        file_type: "CSV",
        download: true,
    });
    // A JSON-stat dataset is built whole in memory, so it is offered only while every
    // observation fits in one.
    let observations: i64 = coverage.iter().map(|c| c.observations).sum();
    if observations <= jsonstat_max_rows {
        bulk_distributions.push(Distribution {
            slug: "jsonstat",
            title: "JSON-stat 2.0, every observation",
            url: format!("{all}?format=jsonstat"),
            media_type: "application/vnd.json-stat+json",
            file_type: "JSON",
            download: true,
        });
    }
    datasets.push((bulk.clone(), bulk_distributions));

    for (dataset, distributions) in datasets {
        let bulk_files = dataset == bulk;
        b.add(&catalog, &format!("{DCAT}dataset"), dataset.clone());
        // The figures are published by the governments whose documents state them; the bulk
        // files are township-stats' compilation.
        if bulk_files || source_publishers.is_empty() {
            b.add(&dataset, &format!("{DCT}publisher"), publisher.clone());
        } else {
            for source_publisher in &source_publishers {
                b.add(
                    &dataset,
                    &format!("{DCT}publisher"),
                    source_publisher.clone(),
                );
            }
        }
        b.add(&dataset, &format!("{DCAT}contactPoint"), contact.clone());
        let mut dataset_licences: Vec<NamedNode> = Vec::new();
        for d in &distributions {
            for l in licences_of(d.slug) {
                if !dataset_licences.contains(&l) {
                    dataset_licences.push(l);
                }
            }
        }
        for l in dataset_licences {
            b.add(&dataset, &format!("{DCT}license"), l);
        }
        for d in distributions {
            let node = iri(format!("{}/distributions/{}", dataset.as_str(), d.slug));
            b.add(&dataset, &format!("{DCAT}distribution"), node.clone());
            b.class(&node, &format!("{DCAT}Distribution"));
            b.text(&node, &format!("{DCT}title"), d.title, "en");
            b.add(&node, &format!("{DCAT}accessURL"), iri(d.url.clone()));
            if d.download {
                b.add(&node, &format!("{DCAT}downloadURL"), iri(d.url.clone()));
            }
            b.add(
                &node,
                &format!("{DCAT}mediaType"),
                iri(format!("{IANA}{}", d.media_type)),
            );
            b.add(
                &node,
                &format!("{DCT}format"),
                iri(format!("{FILE_TYPE}{}", d.file_type)),
            );
            for l in licences_of(d.slug) {
                b.add(&node, &format!("{DCT}license"), l);
            }
            b.typed(&node, &format!("{DCT}modified"), &modified, xsd::DATE_TIME);
        }
    }
    b.graph
}

/// The triples in a fixed order, so the same graph is always written as the same bytes (the
/// ETag promises that).
fn sorted(graph: &Graph) -> Vec<TripleRef<'_>> {
    let mut triples: Vec<TripleRef> = graph.iter().collect();
    triples.sort_by_cached_key(|t| t.to_string());
    triples
}

/// The graph as JSON-LD.
pub fn to_jsonld(graph: &Graph) -> anyhow::Result<Vec<u8>> {
    let mut serializer = oxjsonld::JsonLdSerializer::new();
    for (prefix, iri) in PREFIXES {
        serializer = serializer.with_prefix(prefix, iri)?;
    }
    let mut writer = serializer.for_writer(Vec::new());
    for triple in sorted(graph) {
        writer.serialize_quad(triple.in_graph(oxrdf::GraphNameRef::DefaultGraph))?;
    }
    Ok(writer.finish()?)
}

/// The graph as Turtle.
pub fn to_turtle(graph: &Graph) -> anyhow::Result<Vec<u8>> {
    let mut serializer = oxttl::TurtleSerializer::new();
    for (prefix, iri) in PREFIXES {
        serializer = serializer.with_prefix(prefix, iri)?;
    }
    let mut writer = serializer.for_writer(Vec::new());
    for triple in sorted(graph) {
        writer.serialize_triple(triple)?;
    }
    Ok(writer.finish()?)
}
