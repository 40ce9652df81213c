//! township-stats: an open-data REST service publishing normalized statistics about Chinese
//! townships by place and by period, from PostgreSQL, each number with its source's own words.
//!
//! `startup` builds the service from a [`config::Config`]; `routes` is the route table; `db`
//! holds every query; `seed` loads the files under seed/. See docs/ARCHITECTURE.md.

// Request paths must not panic: unwrap and expect are for tests only.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod auth;
pub mod budget;
pub mod caching;
pub mod citation;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod export_files;
pub mod exports;
pub mod extract;
pub mod formats;
pub mod import;
pub mod normalize;
pub mod openapi;
pub mod pages;
pub mod pagination;
pub mod protect;
pub mod public_url;
pub mod query;
pub mod response_cache;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod synth;
pub mod views;
