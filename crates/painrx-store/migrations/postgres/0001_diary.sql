-- painrx diary store, PostgreSQL dialect. Keep in step with ../sqlite/0001_diary.sql:
-- same tables, same columns, same meaning. Integers are BIGINT (read as i64 on both dialects);
-- dates and times are ISO text compared byte-wise (COLLATE "C"), as on SQLite.

CREATE TABLE entries (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient      TEXT   NOT NULL,
    version      BIGINT NOT NULL CHECK (version >= 1),
    date         TEXT   COLLATE "C" NOT NULL,
    time         TEXT   COLLATE "C",
    pain         BIGINT NOT NULL CHECK (pain BETWEEN 0 AND 10),
    fatigue      BIGINT CHECK (fatigue BETWEEN 0 AND 10),
    sleep        BIGINT CHECK (sleep BETWEEN 0 AND 10),
    stiffness    BIGINT CHECK (stiffness BETWEEN 0 AND 10),
    fog          BIGINT CHECK (fog BETWEEN 0 AND 10),
    mood         BIGINT CHECK (mood BETWEEN 0 AND 10),
    anxiety      BIGINT CHECK (anxiety BETWEEN 0 AND 10),
    areas        TEXT   NOT NULL,
    doses        TEXT   NOT NULL,
    side_effects TEXT   NOT NULL,
    note         TEXT,
    wpi          BIGINT,
    sss          BIGINT,
    fiqr         DOUBLE PRECISION,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX entries_by_patient_date ON entries (patient, date, time, id);

-- Earlier versions of edited entries (the current version stays in `entries`).
CREATE TABLE entry_history (
    entry_id     BIGINT NOT NULL REFERENCES entries (id),
    patient      TEXT   NOT NULL,
    version      BIGINT NOT NULL,
    date         TEXT   COLLATE "C" NOT NULL,
    time         TEXT   COLLATE "C",
    pain         BIGINT NOT NULL,
    fatigue      BIGINT,
    sleep        BIGINT,
    stiffness    BIGINT,
    fog          BIGINT,
    mood         BIGINT,
    anxiety      BIGINT,
    areas        TEXT   NOT NULL,
    doses        TEXT   NOT NULL,
    side_effects TEXT   NOT NULL,
    note         TEXT,
    wpi          BIGINT,
    sss          BIGINT,
    fiqr         DOUBLE PRECISION,
    replaced_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (entry_id, version)
);

-- A treatment course: a titration, taper or switch plan, or an infusion series.
CREATE TABLE courses (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('titration', 'taper', 'switch', 'infusion')),
    drug       TEXT NOT NULL,
    started    TEXT COLLATE "C" NOT NULL,
    plan       TEXT NOT NULL,
    note       TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (id, patient)
);

CREATE INDEX courses_by_patient ON courses (patient, started, id);

-- One infusion session of a course; (course_id, patient) must name a course of the same patient.
CREATE TABLE sessions (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id           BIGINT  NOT NULL,
    patient             TEXT    NOT NULL,
    date                TEXT    COLLATE "C" NOT NULL,
    start_time          TEXT    COLLATE "C" NOT NULL,
    infusion_minutes    BIGINT  NOT NULL CHECK (infusion_minutes BETWEEN 1 AND 1440),
    observation_minutes BIGINT  NOT NULL CHECK (observation_minutes BETWEEN 0 AND 1440),
    escort_confirmed    BOOLEAN NOT NULL,
    screening           TEXT    NOT NULL,
    adverse_effects     TEXT    NOT NULL,
    pain_before         BIGINT  CHECK (pain_before BETWEEN 0 AND 10),
    pain_after          BIGINT  CHECK (pain_after BETWEEN 0 AND 10),
    note                TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (course_id, patient) REFERENCES courses (id, patient)
);

CREATE INDEX sessions_by_course ON sessions (course_id, date, start_time, id);
