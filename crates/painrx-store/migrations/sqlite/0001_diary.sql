-- painrx diary store, SQLite dialect. Keep in step with ../postgres/0001_diary.sql:
-- same tables, same columns, same meaning.

CREATE TABLE entries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    patient      TEXT    NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    date         TEXT    NOT NULL,
    time         TEXT,
    pain         INTEGER NOT NULL CHECK (pain BETWEEN 0 AND 10),
    fatigue      INTEGER CHECK (fatigue BETWEEN 0 AND 10),
    sleep        INTEGER CHECK (sleep BETWEEN 0 AND 10),
    stiffness    INTEGER CHECK (stiffness BETWEEN 0 AND 10),
    fog          INTEGER CHECK (fog BETWEEN 0 AND 10),
    mood         INTEGER CHECK (mood BETWEEN 0 AND 10),
    anxiety      INTEGER CHECK (anxiety BETWEEN 0 AND 10),
    areas        TEXT    NOT NULL,
    doses        TEXT    NOT NULL,
    side_effects TEXT    NOT NULL,
    note         TEXT,
    wpi          INTEGER,
    sss          INTEGER,
    fiqr         REAL,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX entries_by_patient_date ON entries (patient, date, time, id);

-- Earlier versions of edited entries (the current version stays in `entries`).
CREATE TABLE entry_history (
    entry_id     INTEGER NOT NULL REFERENCES entries (id),
    patient      TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    date         TEXT    NOT NULL,
    time         TEXT,
    pain         INTEGER NOT NULL,
    fatigue      INTEGER,
    sleep        INTEGER,
    stiffness    INTEGER,
    fog          INTEGER,
    mood         INTEGER,
    anxiety      INTEGER,
    areas        TEXT    NOT NULL,
    doses        TEXT    NOT NULL,
    side_effects TEXT    NOT NULL,
    note         TEXT,
    wpi          INTEGER,
    sss          INTEGER,
    fiqr         REAL,
    replaced_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (entry_id, version)
);

-- A treatment course: a titration, taper or switch plan, or an infusion series.
CREATE TABLE courses (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    patient    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('titration', 'taper', 'switch', 'infusion')),
    drug       TEXT NOT NULL,
    started    TEXT NOT NULL,
    plan       TEXT NOT NULL,
    note       TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (id, patient)
);

CREATE INDEX courses_by_patient ON courses (patient, started, id);

-- One infusion session of a course; (course_id, patient) must name a course of the same patient.
CREATE TABLE sessions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id           INTEGER NOT NULL,
    patient             TEXT    NOT NULL,
    date                TEXT    NOT NULL,
    start_time          TEXT    NOT NULL,
    infusion_minutes    INTEGER NOT NULL CHECK (infusion_minutes BETWEEN 1 AND 1440),
    observation_minutes INTEGER NOT NULL CHECK (observation_minutes BETWEEN 0 AND 1440),
    escort_confirmed    BOOLEAN NOT NULL,
    screening           TEXT    NOT NULL,
    adverse_effects     TEXT    NOT NULL,
    pain_before         INTEGER CHECK (pain_before BETWEEN 0 AND 10),
    pain_after          INTEGER CHECK (pain_after BETWEEN 0 AND 10),
    note                TEXT,
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    FOREIGN KEY (course_id, patient) REFERENCES courses (id, patient)
);

CREATE INDEX sessions_by_course ON sessions (course_id, date, start_time, id);
