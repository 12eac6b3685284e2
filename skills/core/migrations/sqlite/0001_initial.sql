-- trailmesh schema, SQLite flavour. Times are epoch milliseconds (UTC).
-- Keep in step with ../postgres/0001_initial.sql: same tables, columns and indexes.

CREATE TABLE species (
    scientific_name TEXT PRIMARY KEY NOT NULL,
    common_name     TEXT,
    taxon_rank      TEXT
);

CREATE TABLE cameras (
    id                   TEXT PRIMARY KEY NOT NULL,
    name                 TEXT NOT NULL,
    latitude             REAL,
    longitude            REAL,
    site                 TEXT,
    habitat              TEXT,
    feature_type         TEXT,
    model                TEXT,
    height_m             REAL,
    heading_deg          REAL,
    detection_distance_m REAL,
    status               TEXT NOT NULL DEFAULT 'active',
    battery_pct          REAL,
    notes                TEXT
);

CREATE TABLE deployments (
    id                 TEXT PRIMARY KEY NOT NULL,
    camera_id          TEXT NOT NULL REFERENCES cameras(id),
    location_id        TEXT,
    location_name      TEXT,
    latitude           REAL,
    longitude          REAL,
    start_ms           INTEGER NOT NULL,
    end_ms             INTEGER NOT NULL,
    utc_offset_min     INTEGER NOT NULL DEFAULT 0,
    feature_type       TEXT,
    habitat            TEXT,
    camera_height      REAL,
    camera_tilt        REAL,
    camera_heading     REAL,
    detection_distance REAL,
    bait_use           BOOLEAN,
    timestamp_issues   BOOLEAN,
    setup_by           TEXT,
    tags               TEXT,
    comments           TEXT
);
CREATE INDEX deployments_camera_time ON deployments (camera_id, start_ms);

CREATE TABLE malfunctions (
    id            TEXT PRIMARY KEY NOT NULL,
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    start_ms      INTEGER NOT NULL,
    end_ms        INTEGER NOT NULL,
    reason        TEXT NOT NULL
);
CREATE INDEX malfunctions_deployment ON malfunctions (deployment_id, start_ms);

CREATE TABLE media (
    id               TEXT PRIMARY KEY NOT NULL,
    deployment_id    TEXT NOT NULL REFERENCES deployments(id),
    camera_id        TEXT NOT NULL,
    ts_ms            INTEGER NOT NULL,
    timestamp_source TEXT NOT NULL,
    file_path        TEXT NOT NULL,
    file_name        TEXT,
    media_type       TEXT NOT NULL,
    capture_method   TEXT,
    file_public      BOOLEAN NOT NULL DEFAULT FALSE,
    favorite         BOOLEAN,
    frame_rate       REAL,
    comments         TEXT
);
CREATE INDEX media_camera_time ON media (camera_id, ts_ms);
CREATE INDEX media_deployment_time ON media (deployment_id, ts_ms);

CREATE TABLE events (
    id                         TEXT PRIMARY KEY NOT NULL,
    deployment_id              TEXT NOT NULL REFERENCES deployments(id),
    camera_id                  TEXT NOT NULL,
    start_ms                   INTEGER NOT NULL,
    end_ms                     INTEGER NOT NULL,
    observation_type           TEXT NOT NULL,
    scientific_name            TEXT,
    count                      INTEGER,
    life_stage                 TEXT,
    sex                        TEXT,
    behavior                   TEXT,
    individual_id              TEXT,
    classification_method      TEXT,
    classified_by              TEXT,
    classification_probability REAL,
    best_media_id              TEXT,
    description                TEXT
);
CREATE INDEX events_camera_time ON events (camera_id, start_ms);
CREATE INDEX events_species_time ON events (scientific_name, start_ms);
CREATE INDEX events_time ON events (start_ms);

CREATE TABLE tracks (
    id              TEXT PRIMARY KEY NOT NULL,
    event_id        TEXT NOT NULL REFERENCES events(id),
    camera_id       TEXT NOT NULL,
    start_ms        INTEGER NOT NULL,
    end_ms          INTEGER NOT NULL,
    scientific_name TEXT,
    individual_id   TEXT,
    heading_deg     REAL,
    speed           REAL,
    frames          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tracks_event ON tracks (event_id);

-- Clustered by camera and time (WITHOUT ROWID, primary key camera_id, ts_ms, id): the
-- skills' commonest question is "this camera, this time span", which then reads a few
-- contiguous pages instead of one page per row. The identifier stays unique by index.
CREATE TABLE detections (
    id                         TEXT NOT NULL,
    media_id                   TEXT NOT NULL,
    camera_id                  TEXT NOT NULL,
    deployment_id              TEXT NOT NULL,
    ts_ms                      INTEGER NOT NULL,
    frame_number               INTEGER,
    observation_type           TEXT NOT NULL,
    scientific_name            TEXT,
    count                      INTEGER,
    life_stage                 TEXT,
    sex                        TEXT,
    behavior                   TEXT,
    individual_id              TEXT,
    confidence                 REAL,
    bbox_x                     REAL,
    bbox_y                     REAL,
    bbox_w                     REAL,
    bbox_h                     REAL,
    classification_method      TEXT,
    classified_by              TEXT,
    classification_probability REAL,
    event_id                   TEXT,
    track_id                   TEXT,
    PRIMARY KEY (camera_id, ts_ms, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX detections_id ON detections (id);
-- Species questions are asked of events (events_species_time); no skill looks up
-- detections by species, so that index would only slow every insert down.
CREATE INDEX detections_event ON detections (event_id);

-- One row per import run: what came in, from where, and what it added.
CREATE TABLE imports (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    imported_ms INTEGER NOT NULL,
    summary     TEXT NOT NULL
);
