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
        public_url -> Nullable<Text>,
        page_urls -> Nullable<Text>,
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
    /// Published, not deleted articles per category (scheduled ones included), kept by triggers.
    article_counts (category_id) {
        category_id -> BigInt,
        published -> BigInt,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    login_throttles (key) {
        key -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        site_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        slug -> Text,
        description -> Text,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    articles (id) {
        id -> BigInt,
        site_id -> BigInt,
        category_id -> BigInt,
        title -> Text,
        slug -> Text,
        summary -> Text,
        summary_auto -> Bool,
        body -> Text,
        cover_url -> Nullable<Text>,
        cover_alt -> Nullable<Text>,
        author -> Text,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        word_count -> Integer,
        search_title -> Text,
        search_body -> Text,
        created_by -> Nullable<BigInt>,
        updated_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        changed_at -> Timestamp,
        cover_media_id -> Nullable<BigInt>,
        revised_at -> Nullable<Timestamp>,
        gallery_media_ids -> Text,
    }
}

diesel::table! {
    article_tags (article_id, slug) {
        article_id -> BigInt,
        slug -> Text,
        name -> Text,
        position -> Integer,
    }
}

diesel::table! {
    article_slugs (slug) {
        slug -> Text,
        article_id -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        site_id -> BigInt,
        uid -> Text,
        title -> Text,
        description -> Text,
        all_day -> Bool,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        time_zone -> Text,
        location -> Text,
        chair -> Text,
        participants -> Text,
        preparing_unit -> Text,
        status -> Text,
        article_id -> Nullable<BigInt>,
        sequence -> Integer,
        search_text -> Text,
        created_by -> Nullable<BigInt>,
        updated_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        attachment_media_ids -> Text,
    }
}

diesel::table! {
    event_revisions (id) {
        id -> BigInt,
        event_id -> BigInt,
        sequence -> Integer,
        action -> Text,
        changes -> Text,
        changed_by -> Nullable<BigInt>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    feedback_topics (id) {
        id -> BigInt,
        site_id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        active -> Bool,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    feedback (id) {
        id -> BigInt,
        site_id -> BigInt,
        tracking_code -> Text,
        secret_hash -> Text,
        secret_sealed -> Nullable<Text>,
        kind -> Text,
        topic_id -> BigInt,
        subject_type -> Nullable<Text>,
        subject_ref -> Nullable<Text>,
        title -> Text,
        content -> Text,
        search_text -> Text,
        submitter_type -> Text,
        submitter_name -> Nullable<Text>,
        submitter_phone -> Nullable<Text>,
        submitter_email -> Nullable<Text>,
        submitter_address -> Nullable<Text>,
        contact_index -> Nullable<Text>,
        consent_version -> Text,
        consent_at -> Timestamp,
        status -> Text,
        forwarded_to -> Nullable<Text>,
        assignee_id -> Nullable<BigInt>,
        public_reply -> Nullable<Text>,
        replied_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        idempotency_key -> Nullable<Text>,
        fingerprint -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        personal_data_erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    feedback_trail (id) {
        id -> BigInt,
        feedback_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        note -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    personal_data_access (id) {
        id -> BigInt,
        feedback_id -> BigInt,
        user_id -> Nullable<BigInt>,
        action -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    fields (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        position -> Integer,
    }
}

diesel::table! {
    questions (id) {
        id -> BigInt,
        site_id -> BigInt,
        tracking_code -> Text,
        secret_hash -> Text,
        secret_sealed -> Nullable<Text>,
        field_id -> BigInt,
        procedure_code -> Nullable<Text>,
        title -> Text,
        question -> Text,
        original_title -> Text,
        original_question -> Text,
        asker_name -> Nullable<Text>,
        asker_phone -> Nullable<Text>,
        asker_email -> Nullable<Text>,
        contact_index -> Nullable<Text>,
        consent_version -> Text,
        consent_at -> Timestamp,
        status -> Text,
        rejection_reason -> Nullable<Text>,
        answer -> Nullable<Text>,
        answering_unit -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        featured -> Bool,
        view_count -> BigInt,
        slug -> Nullable<Text>,
        search_text -> Text,
        idempotency_key -> Nullable<Text>,
        fingerprint -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    privacy_notices (id) {
        id -> BigInt,
        site_id -> BigInt,
        version -> Text,
        title -> Text,
        body -> Text,
        published_at -> Timestamp,
        created_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    revisions (id) {
        id -> BigInt,
        resource -> Text,
        resource_id -> BigInt,
        site_id -> Nullable<BigInt>,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor_role -> Nullable<Text>,
        reason -> Nullable<Text>,
        restored_from -> Nullable<BigInt>,
        request_id -> Nullable<Text>,
        content -> Text,
    }
}

diesel::table! {
    audit_anchor (id) {
        id -> BigInt,
        through_id -> BigInt,
        through_hash -> Text,
        archive -> Text,
        at -> Timestamp,
        through_seq -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor_role -> Nullable<Text>,
        site_id -> Nullable<BigInt>,
        action -> Text,
        route -> Nullable<Text>,
        resource -> Nullable<Text>,
        resource_id -> Nullable<Text>,
        changes -> Text,
        request_id -> Nullable<Text>,
        address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        detail -> Nullable<Text>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
        seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    changes (id) {
        id -> BigInt,
        tick -> BigInt,
        resource -> Text,
        resource_id -> BigInt,
        site_id -> Nullable<BigInt>,
        action -> Text,
        public -> Bool,
        changed_at -> Timestamp,
        was_public -> Nullable<Bool>,
        is_public -> Nullable<Bool>,
        status -> Nullable<Text>,
    }
}

diesel::table! {
    media (id) {
        id -> BigInt,
        site_id -> BigInt,
        sha256 -> Text,
        kind -> Text,
        media_type -> Text,
        filename -> Text,
        size -> BigInt,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        status -> Text,
        failure -> Nullable<Text>,
        variants -> Text,
        placeholder -> Nullable<Text>,
        title -> Nullable<Text>,
        alt -> Nullable<Text>,
        caption -> Nullable<Text>,
        credit -> Nullable<Text>,
        taken_at -> Nullable<Timestamp>,
        uploaded_by -> Nullable<BigInt>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    media_uses (media_id, resource, resource_id, role) {
        media_id -> BigInt,
        resource -> Text,
        resource_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        site_id -> Nullable<BigInt>,
        url -> Text,
        description -> Text,
        event_types -> Text,
        secret_sealed -> Text,
        status -> Text,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        retry_at -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        start_tick -> BigInt,
        start_id -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        message_id -> Text,
        event_type -> Text,
        change_id -> Nullable<BigInt>,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        last_duration_ms -> Nullable<Integer>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> Integer,
    }
}

diesel::table! {
    content_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    procedures (id) {
        id -> BigInt,
        site_id -> BigInt,
        code -> Text,
        name -> Text,
        field_id -> Nullable<BigInt>,
        agency -> Text,
        level -> Text,
        validity -> Text,
        replaced_by -> Nullable<Text>,
        processing_days -> Nullable<Integer>,
        record -> Text,
        record_hash -> Text,
        search_text -> Text,
        source -> Nullable<Text>,
        imported_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(procedures -> fields (field_id));
diesel::joinable!(questions -> fields (field_id));
diesel::joinable!(feedback -> feedback_topics (topic_id));
diesel::joinable!(feedback_trail -> feedback (feedback_id));
diesel::joinable!(personal_data_access -> feedback (feedback_id));
diesel::joinable!(events -> sites (site_id));
diesel::joinable!(event_revisions -> events (event_id));
diesel::joinable!(users -> sites (site_id));
diesel::joinable!(categories -> sites (site_id));
diesel::joinable!(articles -> sites (site_id));
diesel::joinable!(articles -> categories (category_id));
diesel::joinable!(article_tags -> articles (article_id));
diesel::joinable!(article_slugs -> articles (article_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(media_uses -> media (media_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    article_counts,
    media,
    media_uses,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    sites,
    users,
    sessions,
    refresh_tokens,
    login_throttles,
    settings,
    categories,
    articles,
    article_tags,
    article_slugs,
    events,
    event_revisions,
    feedback_topics,
    feedback,
    feedback_trail,
    personal_data_access,
    fields,
    questions,
    procedures,
    content_version,
    changes,
    privacy_notices,
    revisions,
);
