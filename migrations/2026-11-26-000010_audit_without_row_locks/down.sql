ALTER TABLE audit_events
    ADD CONSTRAINT audit_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES users (id),
    ADD CONSTRAINT audit_events_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients (id);
