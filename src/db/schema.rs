// Mirrors migrations/{sqlite,postgres}; tests/api/schema_drift.rs checks both stay in step.
diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        is_staff -> Integer,
        created_at -> Timestamp,
        totp_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<Integer>,
        disabled_at -> Nullable<Timestamp>,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Integer,
        user_id -> Integer,
        code_digest -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    organisations (id) {
        id -> Integer,
        name -> Text,
        slug -> Text,
        api_enabled -> Integer,
        api_enabled_changed_at -> Nullable<Timestamp>,
        api_enabled_changed_by -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    memberships (user_id, organisation_id) {
        user_id -> Integer,
        organisation_id -> Integer,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Nullable<Integer>,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        handle -> Nullable<Text>,
        device -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        last_seen_at -> Nullable<Timestamp>,
        pending_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Integer,
        organisation_id -> Nullable<Integer>,
        actor_user_id -> Nullable<Integer>,
        action -> Text,
        detail -> Text,
        client_addr -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Integer,
        throttle_key -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_places (user_id, place) {
        user_id -> Integer,
        place -> Text,
        last_signed_in_at -> Timestamp,
    }
}

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        organisation_id -> Integer,
        digest -> Text,
        display_prefix -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        created_session -> Text,
        reveal_until -> Timestamp,
        reveal_ciphertext -> Nullable<Text>,
        superseded_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        grace_until -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        first_display_digest -> Nullable<Text>,
        expiry_notice -> Integer,
    }
}

diesel::table! {
    token_clients (token_id, client_addr, user_agent) {
        token_id -> Integer,
        client_addr -> Text,
        user_agent -> Text,
        first_seen -> Timestamp,
        last_seen -> Timestamp,
    }
}

diesel::table! {
    clients (id) {
        id -> Integer,
        organisation_id -> Integer,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    feedback (id) {
        id -> Integer,
        organisation_id -> Integer,
        client_id -> Integer,
        respondent_name -> Text,
        respondent_email -> Text,
        score -> Integer,
        comment -> Nullable<Text>,
        survey -> Text,
        submitted_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    feedback_daily (organisation_id, day, client_id, survey) {
        organisation_id -> Integer,
        day -> Date,
        client_id -> Integer,
        survey -> Text,
        promoters -> Integer,
        passives -> Integer,
        detractors -> Integer,
    }
}

diesel::table! {
    feedback_by_client (client_id) {
        client_id -> Integer,
        organisation_id -> Integer,
        promoters -> Integer,
        passives -> Integer,
        detractors -> Integer,
    }
}

diesel::table! {
    api_rate_limits (token_id) {
        token_id -> Integer,
        empty_at_ns -> BigInt,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Integer,
        message_key -> Text,
        kind -> Text,
        recipient -> Text,
        recipient_name -> Text,
        payload -> Text,
        link_secret -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        give_up_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        last_error -> Nullable<Text>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notification_preferences (user_id) {
        user_id -> Integer,
        token_expiry -> Integer,
        api_access -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Integer,
        user_id -> Nullable<Integer>,
        digest -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        replaced_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_access_requests (id) {
        id -> Integer,
        organisation_id -> Integer,
        requested_by -> Nullable<Integer>,
        note -> Text,
        created_at -> Timestamp,
        answered_at -> Nullable<Timestamp>,
        answered_by -> Nullable<Integer>,
        outcome -> Nullable<Text>,
        reason -> Nullable<Text>,
    }
}

diesel::joinable!(api_access_requests -> organisations (organisation_id));

diesel::table! {
    invitations (id) {
        id -> Integer,
        organisation_id -> Integer,
        email -> Text,
        role -> Text,
        digest -> Text,
        invited_by -> Nullable<Integer>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        replaced_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> organisations (organisation_id));
diesel::table! {
    readiness_probes (id) {
        id -> Integer,
        checked_at -> Timestamp,
    }
}

diesel::joinable!(audit_events -> organisations (organisation_id));
diesel::joinable!(audit_events -> users (actor_user_id));
diesel::joinable!(api_tokens -> organisations (organisation_id));
diesel::joinable!(api_tokens -> users (created_by));
diesel::joinable!(api_rate_limits -> api_tokens (token_id));
diesel::joinable!(clients -> organisations (organisation_id));
diesel::joinable!(token_clients -> api_tokens (token_id));
diesel::joinable!(feedback -> clients (client_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(sign_in_places -> users (user_id));
diesel::joinable!(feedback_daily -> clients (client_id));
diesel::joinable!(feedback_by_client -> clients (client_id));
diesel::joinable!(notification_preferences -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(invitations -> organisations (organisation_id));
diesel::joinable!(invitations -> users (invited_by));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    organisations,
    memberships,
    sessions,
    audit_events,
    login_failures,
    app_secrets,
    api_tokens,
    clients,
    feedback,
    token_clients,
    recovery_codes,
    feedback_daily,
    feedback_by_client,
    api_rate_limits,
    sign_in_places,
    mail_outbox,
    notification_preferences,
    password_resets,
    api_access_requests,
    invitations,
);
