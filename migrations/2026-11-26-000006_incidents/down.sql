DROP TABLE component_overrides;
DROP TABLE postmortems;
DROP TABLE incident_updates;
DROP TABLE incident_components;
DROP TABLE incidents;
