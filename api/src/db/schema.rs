// @generated automatically by Diesel CLI.

diesel::table! {
    allergies (id) {
        id -> Uuid,
        patient_id -> Uuid,
        substance -> Text,
        reaction -> Nullable<Text>,
        severity -> Text,
        status -> Text,
        onset_date -> Nullable<Date>,
        note -> Nullable<Text>,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
        version -> Int4,
        entered_in_error_at -> Nullable<Timestamptz>,
        entered_in_error_by -> Nullable<Uuid>,
        entered_in_error_reason -> Nullable<Text>,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Uuid,
        name -> Text,
        description -> Text,
        user_id -> Uuid,
        scopes -> Array<Nullable<Text>>,
        secret_hash -> Text,
        rate_limit_per_minute -> Int4,
        active -> Bool,
        tokens_valid_after -> Timestamptz,
        secret_rotated_at -> Timestamptz,
        last_token_at -> Nullable<Timestamptz>,
        created_by -> Uuid,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    appointment_status_changes (id) {
        id -> Int8,
        appointment_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        changed_by -> Uuid,
        changed_at -> Timestamptz,
        reason -> Nullable<Text>,
        is_revert -> Bool,
    }
}

diesel::table! {
    appointments (id) {
        id -> Uuid,
        patient_id -> Uuid,
        practitioner_id -> Uuid,
        department_id -> Uuid,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        period -> Tstzrange,
        status -> Text,
        reason -> Text,
        cancel_reason -> Nullable<Text>,
        booked_by -> Uuid,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Int8,
        occurred_at -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        actor_role -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        request_id -> Nullable<Text>,
        outcome -> Text,
        patient_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    availability_exceptions (id) {
        id -> Uuid,
        practitioner_id -> Uuid,
        period -> Tstzrange,
        reason -> Text,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    availability_rules (id) {
        id -> Uuid,
        practitioner_id -> Uuid,
        weekday -> Int2,
        starts_at -> Time,
        ends_at -> Time,
        slot_minutes -> Int4,
    }
}

diesel::table! {
    backup_runs (id) {
        id -> Uuid,
        kind -> Text,
        started_at -> Timestamptz,
        finished_at -> Timestamptz,
        duration_ms -> Int8,
        result -> Text,
        backup_label -> Nullable<Text>,
        restore_point -> Nullable<Text>,
        database_name -> Nullable<Text>,
        size_bytes -> Nullable<Int8>,
        repository_bytes -> Nullable<Int8>,
        row_counts -> Jsonb,
        steps -> Jsonb,
        detail -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    clinical_notes (id) {
        id -> Uuid,
        encounter_id -> Uuid,
        patient_id -> Uuid,
        note_type -> Text,
        body -> Text,
        author_id -> Uuid,
        written_at -> Timestamptz,
        entered_in_error_at -> Nullable<Timestamptz>,
        entered_in_error_by -> Nullable<Uuid>,
        entered_in_error_reason -> Nullable<Text>,
    }
}

diesel::table! {
    component_overrides (component) {
        component -> Text,
        state -> Text,
        note -> Nullable<Text>,
        set_by -> Uuid,
        set_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    conditions (id) {
        id -> Uuid,
        patient_id -> Uuid,
        icd10_code -> Text,
        description -> Text,
        status -> Text,
        onset_date -> Nullable<Date>,
        resolved_date -> Nullable<Date>,
        note -> Nullable<Text>,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
        version -> Int4,
        entered_in_error_at -> Nullable<Timestamptz>,
        entered_in_error_by -> Nullable<Uuid>,
        entered_in_error_reason -> Nullable<Text>,
    }
}

diesel::table! {
    demo_seeds (name) {
        name -> Text,
        loaded_at -> Timestamptz,
    }
}

diesel::table! {
    departments (id) {
        id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    encounters (id) {
        id -> Uuid,
        patient_id -> Uuid,
        encounter_type -> Text,
        started_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        reason -> Text,
        clinician_id -> Uuid,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
        version -> Int4,
        entered_in_error_at -> Nullable<Timestamptz>,
        entered_in_error_by -> Nullable<Uuid>,
        entered_in_error_reason -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Uuid,
        key -> Text,
        endpoint -> Text,
        request_hash -> Bytea,
        status -> Int4,
        response -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    incident_components (incident_id, component) {
        incident_id -> Uuid,
        component -> Text,
    }
}

diesel::table! {
    incident_updates (id) {
        id -> Int8,
        incident_id -> Uuid,
        status -> Text,
        message -> Text,
        author_id -> Nullable<Uuid>,
        at -> Timestamptz,
    }
}

diesel::table! {
    incidents (id) {
        id -> Uuid,
        title -> Text,
        severity -> Text,
        status -> Text,
        started_at -> Timestamptz,
        resolved_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        automatic -> Bool,
        outage_down_at -> Nullable<Timestamptz>,
        outage_up_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    lab_results (id) {
        id -> Uuid,
        patient_id -> Uuid,
        test_name -> Text,
        loinc_code -> Nullable<Text>,
        value_numeric -> Nullable<Float8>,
        value_text -> Nullable<Text>,
        unit -> Nullable<Text>,
        reference_low -> Nullable<Float8>,
        reference_high -> Nullable<Float8>,
        flag -> Text,
        collected_at -> Timestamptz,
        reported_at -> Timestamptz,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
        version -> Int4,
        entered_in_error_at -> Nullable<Timestamptz>,
        entered_in_error_by -> Nullable<Uuid>,
        entered_in_error_reason -> Nullable<Text>,
    }
}

diesel::table! {
    maintenance_runs (id) {
        id -> Uuid,
        started_at -> Timestamptz,
        finished_at -> Timestamptz,
        duration_ms -> Int8,
        result -> Text,
        summary -> Text,
        report -> Jsonb,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    medications (id) {
        id -> Uuid,
        patient_id -> Uuid,
        drug -> Text,
        dose -> Text,
        route -> Text,
        frequency -> Text,
        start_date -> Date,
        end_date -> Nullable<Date>,
        status -> Text,
        prescriber_id -> Uuid,
        note -> Nullable<Text>,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
        version -> Int4,
        entered_in_error_at -> Nullable<Timestamptz>,
        entered_in_error_by -> Nullable<Uuid>,
        entered_in_error_reason -> Nullable<Text>,
    }
}

diesel::table! {
    patients (id) {
        id -> Uuid,
        mrn -> Text,
        given_name -> Text,
        family_name -> Text,
        birth_date -> Date,
        sex -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        address_line -> Nullable<Text>,
        city -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Nullable<Text>,
        emergency_contact_name -> Nullable<Text>,
        emergency_contact_relationship -> Nullable<Text>,
        emergency_contact_phone -> Nullable<Text>,
        preferred_language -> Nullable<Text>,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        search_name -> Text,
        sort_name -> Text,
    }
}

diesel::table! {
    postmortems (incident_id) {
        incident_id -> Uuid,
        summary -> Text,
        impact -> Text,
        timeline -> Text,
        root_cause -> Text,
        resolution -> Text,
        corrective_actions -> Jsonb,
        author_id -> Uuid,
        updated_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    practitioners (id) {
        id -> Uuid,
        user_id -> Uuid,
        department_id -> Uuid,
        specialty -> Text,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Bytea,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    shortage_events (id) {
        id -> Int8,
        shortage_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        by_user -> Uuid,
        at -> Timestamptz,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    shortages (id) {
        id -> Uuid,
        item_id -> Uuid,
        location_id -> Uuid,
        status -> Text,
        severity -> Text,
        source -> Text,
        critical_item -> Bool,
        note -> Nullable<Text>,
        level_at_open -> Nullable<Int8>,
        order_reference -> Nullable<Text>,
        resolution -> Nullable<Text>,
        opened_by -> Uuid,
        opened_at -> Timestamptz,
        updated_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
        version -> Int4,
    }
}

diesel::table! {
    stock_balances (id) {
        id -> Int8,
        item_id -> Uuid,
        lot_id -> Nullable<Uuid>,
        location_id -> Uuid,
        quantity -> Int8,
    }
}

diesel::table! {
    stock_items (id) {
        id -> Uuid,
        sku -> Text,
        name -> Text,
        search_name -> Text,
        category -> Text,
        unit -> Text,
        reorder_level -> Int4,
        reorder_quantity -> Int4,
        critical -> Bool,
        lot_tracked -> Bool,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    stock_ledger (id) {
        id -> Int8,
        movement_id -> Uuid,
        item_id -> Uuid,
        lot_id -> Nullable<Uuid>,
        location_id -> Uuid,
        delta -> Int4,
    }
}

diesel::table! {
    stock_locations (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        kind -> Text,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    stock_lots (id) {
        id -> Uuid,
        item_id -> Uuid,
        lot_number -> Text,
        expires_on -> Date,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    stock_movements (id) {
        id -> Uuid,
        kind -> Text,
        item_id -> Uuid,
        from_location_id -> Nullable<Uuid>,
        to_location_id -> Nullable<Uuid>,
        quantity -> Int4,
        patient_id -> Nullable<Uuid>,
        medication_id -> Nullable<Uuid>,
        write_off_reason -> Nullable<Text>,
        reason -> Nullable<Text>,
        performed_by -> Uuid,
        performed_at -> Timestamptz,
    }
}

diesel::table! {
    stock_reorder_levels (item_id, location_id) {
        item_id -> Uuid,
        location_id -> Uuid,
        reorder_level -> Int4,
        reorder_quantity -> Int4,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        display_name -> Text,
        role -> Text,
        active -> Bool,
        password_hash -> Text,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        last_login_at -> Nullable<Timestamptz>,
        patient_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    vitals (id) {
        id -> Uuid,
        patient_id -> Uuid,
        measured_at -> Timestamptz,
        systolic_mmhg -> Nullable<Int4>,
        diastolic_mmhg -> Nullable<Int4>,
        heart_rate_bpm -> Nullable<Int4>,
        temperature_c -> Nullable<Float8>,
        spo2_percent -> Nullable<Int4>,
        respiratory_rate -> Nullable<Int4>,
        weight_kg -> Nullable<Float8>,
        height_cm -> Nullable<Float8>,
        note -> Nullable<Text>,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
        version -> Int4,
        entered_in_error_at -> Nullable<Timestamptz>,
        entered_in_error_by -> Nullable<Uuid>,
        entered_in_error_reason -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        event_id -> Uuid,
        subscription_id -> Uuid,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        leased_until -> Nullable<Timestamptz>,
        last_attempt_at -> Nullable<Timestamptz>,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        response_ms -> Nullable<Int4>,
        delivered_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Uuid,
        #[sql_name = "type"]
        type_ -> Text,
        occurred_at -> Timestamptz,
        payload -> Jsonb,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Uuid,
        client_id -> Uuid,
        url -> Text,
        events -> Array<Nullable<Text>>,
        signing_secret -> Text,
        active -> Bool,
        description -> Text,
        created_by -> Uuid,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(allergies -> patients (patient_id));
diesel::joinable!(appointment_status_changes -> appointments (appointment_id));
diesel::joinable!(appointment_status_changes -> users (changed_by));
diesel::joinable!(appointments -> departments (department_id));
diesel::joinable!(appointments -> patients (patient_id));
diesel::joinable!(appointments -> practitioners (practitioner_id));
diesel::joinable!(appointments -> users (booked_by));
diesel::joinable!(availability_exceptions -> practitioners (practitioner_id));
diesel::joinable!(availability_exceptions -> users (created_by));
diesel::joinable!(availability_rules -> practitioners (practitioner_id));
diesel::joinable!(clinical_notes -> encounters (encounter_id));
diesel::joinable!(clinical_notes -> patients (patient_id));
diesel::joinable!(component_overrides -> users (set_by));
diesel::joinable!(conditions -> patients (patient_id));
diesel::joinable!(encounters -> patients (patient_id));
diesel::joinable!(idempotency_keys -> users (user_id));
diesel::joinable!(incident_components -> incidents (incident_id));
diesel::joinable!(incident_updates -> incidents (incident_id));
diesel::joinable!(incident_updates -> users (author_id));
diesel::joinable!(incidents -> users (created_by));
diesel::joinable!(lab_results -> patients (patient_id));
diesel::joinable!(medications -> patients (patient_id));
diesel::joinable!(postmortems -> incidents (incident_id));
diesel::joinable!(practitioners -> departments (department_id));
diesel::joinable!(practitioners -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(shortage_events -> shortages (shortage_id));
diesel::joinable!(shortage_events -> users (by_user));
diesel::joinable!(shortages -> stock_items (item_id));
diesel::joinable!(shortages -> stock_locations (location_id));
diesel::joinable!(shortages -> users (opened_by));
diesel::joinable!(stock_balances -> stock_items (item_id));
diesel::joinable!(stock_balances -> stock_locations (location_id));
diesel::joinable!(stock_balances -> stock_lots (lot_id));
diesel::joinable!(stock_ledger -> stock_items (item_id));
diesel::joinable!(stock_ledger -> stock_locations (location_id));
diesel::joinable!(stock_ledger -> stock_lots (lot_id));
diesel::joinable!(stock_ledger -> stock_movements (movement_id));
diesel::joinable!(stock_lots -> stock_items (item_id));
diesel::joinable!(stock_movements -> medications (medication_id));
diesel::joinable!(stock_movements -> patients (patient_id));
diesel::joinable!(stock_movements -> stock_items (item_id));
diesel::joinable!(stock_movements -> users (performed_by));
diesel::joinable!(stock_reorder_levels -> stock_items (item_id));
diesel::joinable!(stock_reorder_levels -> stock_locations (location_id));
diesel::joinable!(users -> patients (patient_id));
diesel::joinable!(vitals -> patients (patient_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_subscriptions -> api_clients (client_id));
diesel::joinable!(webhook_subscriptions -> users (created_by));

diesel::allow_tables_to_appear_in_same_query!(
    allergies,
    api_clients,
    appointment_status_changes,
    appointments,
    audit_events,
    availability_exceptions,
    availability_rules,
    backup_runs,
    clinical_notes,
    component_overrides,
    conditions,
    demo_seeds,
    departments,
    encounters,
    idempotency_keys,
    incident_components,
    incident_updates,
    incidents,
    lab_results,
    maintenance_runs,
    medications,
    patients,
    postmortems,
    practitioners,
    refresh_tokens,
    shortage_events,
    shortages,
    stock_balances,
    stock_items,
    stock_ledger,
    stock_locations,
    stock_lots,
    stock_movements,
    stock_reorder_levels,
    users,
    vitals,
    webhook_deliveries,
    webhook_events,
    webhook_subscriptions,
);
