//! The tables, as diesel sees them. Written by hand for both backends: only types that
//! SQLite and PostgreSQL share (`BigInt`, `Text`, `Bool`, `Integer`, `Timestamp` in UTC).

diesel::table! {
    sites (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        time_zone -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        site_id -> Nullable<BigInt>,
        active -> Bool,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        session_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttles (email) {
        email -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> sites (site_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(
    sites,
    users,
    sessions,
    refresh_tokens,
    login_throttles
);
