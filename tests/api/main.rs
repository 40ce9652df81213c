//! Black-box tests: the real application over HTTP, each test on its own PostgreSQL database.

mod caching;
mod contract;
mod downloads;
mod errors;
mod feeds;
mod figures;
mod formats;
mod hardening;
mod health;
mod helpers;
mod hostile;
mod imports;
mod indicators;
mod migrations;
mod observations;
mod openapi;
mod pages;
mod places;
mod portals;
mod publishing;
mod request_path;
mod seed;
mod sources;
mod synth;
