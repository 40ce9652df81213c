// @generated automatically by Diesel CLI.

diesel::table! {
    api_tokens (id) {
        id -> Int8,
        name -> Text,
        sha256 -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    data_version (singleton) {
        singleton -> Bool,
        version -> Int8,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    indicators (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        description_zh -> Text,
        description_en -> Text,
        category -> Text,
        unit -> Text,
        value_type -> Text,
    }
}

diesel::table! {
    loads (name) {
        name -> Text,
        sha256 -> Text,
        loaded_at -> Timestamptz,
    }
}

diesel::table! {
    observation_revisions (id) {
        id -> Int8,
        observation_id -> Int8,
        value -> Numeric,
        qualifier -> Text,
        value_as_written -> Text,
        unit_as_written -> Text,
        quote -> Text,
        quote_start -> Int4,
        quote_end -> Int4,
        note -> Nullable<Text>,
        retracted_at -> Nullable<Timestamptz>,
        published_from -> Timestamptz,
        published_until -> Timestamptz,
        superseded_by -> Nullable<Int8>,
    }
}

diesel::table! {
    observations (id) {
        id -> Int8,
        indicator_code -> Text,
        place_code -> Text,
        period_start -> Int4,
        period_end -> Int4,
        kind -> Text,
        value -> Numeric,
        qualifier -> Text,
        value_as_written -> Text,
        unit_as_written -> Text,
        source_id -> Text,
        quote -> Text,
        quote_start -> Int4,
        quote_end -> Int4,
        note -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        retracted_at -> Nullable<Timestamptz>,
        release_id -> Nullable<Int8>,
    }
}

diesel::table! {
    places (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        level -> Text,
        name_zh -> Text,
        name_en -> Text,
        search_key -> Text,
    }
}

diesel::table! {
    releases (id) {
        id -> Int8,
        released_at -> Timestamptz,
        title -> Text,
        summary -> Text,
        observations_added -> Int4,
        observations_changed -> Int4,
        observations_retracted -> Int4,
        published_by -> Nullable<Text>,
    }
}

diesel::table! {
    sources (id) {
        id -> Text,
        title_zh -> Text,
        title_en -> Text,
        publisher_zh -> Text,
        publisher_en -> Text,
        published_on -> Date,
        url -> Nullable<Text>,
        licence -> Text,
        content -> Text,
        sha256 -> Text,
        delivered_on -> Nullable<Date>,
        place_code -> Nullable<Text>,
    }
}

diesel::joinable!(observation_revisions -> observations (observation_id));
diesel::joinable!(observation_revisions -> releases (superseded_by));
diesel::joinable!(observations -> indicators (indicator_code));
diesel::joinable!(observations -> places (place_code));
diesel::joinable!(observations -> releases (release_id));
diesel::joinable!(observations -> sources (source_id));
diesel::joinable!(sources -> places (place_code));

diesel::allow_tables_to_appear_in_same_query!(indicators, loads, observations, places, sources,);
