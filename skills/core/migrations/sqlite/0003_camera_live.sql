-- Live cameras: what the camera gateway last saw of each camera it streams from (one row per
-- camera, replaced every few seconds), so the camera-inventory skill can report it.
CREATE TABLE camera_live (
    camera_id     TEXT PRIMARY KEY NOT NULL,
    connected     BOOLEAN NOT NULL,
    fps           REAL NOT NULL,
    bitrate_bps   REAL NOT NULL,
    last_frame_ms INTEGER,
    last_event_ms INTEGER,
    updated_ms    INTEGER NOT NULL
);
