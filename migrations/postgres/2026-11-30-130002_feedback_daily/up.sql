-- Category counts per organisation, UTC day, client and survey, so that scores add up a few rows
-- per day instead of counting every response (src/domain/scores/). Triggers keep it in step with
-- feedback inside the writing transaction; `pulse rebuild-rollups` recomputes it from scratch.
CREATE TABLE feedback_daily (
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    survey TEXT NOT NULL,
    promoters INTEGER NOT NULL,
    passives INTEGER NOT NULL,
    detractors INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, day, client_id, survey)
);

INSERT INTO feedback_daily
SELECT organisation_id, CAST(submitted_at AS DATE), client_id, survey,
       COUNT(*) FILTER (WHERE score >= 9), COUNT(*) FILTER (WHERE score IN (7, 8)),
       COUNT(*) FILTER (WHERE score <= 6)
FROM feedback GROUP BY 1, 2, 3, 4;

-- All-time counts per client, for what covers all time (the client list, scores without a
-- range): one row per client instead of one per day.
CREATE TABLE feedback_by_client (
    client_id INTEGER PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    promoters INTEGER NOT NULL,
    passives INTEGER NOT NULL,
    detractors INTEGER NOT NULL
);
CREATE INDEX feedback_by_client_organisation ON feedback_by_client (organisation_id);

INSERT INTO feedback_by_client
SELECT client_id, organisation_id, SUM(promoters), SUM(passives), SUM(detractors)
FROM feedback_daily GROUP BY client_id, organisation_id;

-- Statement-level: one aggregate per INSERT, DELETE or UPDATE statement, however many rows it
-- touches (a bulk import costs one grouped upsert per table). A leaving response only ever
-- decrements (the counts may already be gone with their organisation or client), and a row goes
-- when its counts reach zero.
CREATE FUNCTION feedback_daily_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE feedback_daily AS d
        SET promoters = d.promoters - o.promoters, passives = d.passives - o.passives,
            detractors = d.detractors - o.detractors
        FROM (SELECT organisation_id, CAST(submitted_at AS DATE) AS day, client_id, survey,
                     COUNT(*) FILTER (WHERE score >= 9) AS promoters,
                     COUNT(*) FILTER (WHERE score IN (7, 8)) AS passives,
                     COUNT(*) FILTER (WHERE score <= 6) AS detractors
              FROM old_rows GROUP BY 1, 2, 3, 4) AS o
        WHERE (d.organisation_id, d.day, d.client_id, d.survey)
            = (o.organisation_id, o.day, o.client_id, o.survey);
        DELETE FROM feedback_daily AS d
        USING (SELECT DISTINCT organisation_id, CAST(submitted_at AS DATE) AS day, client_id, survey
               FROM old_rows) AS o
        WHERE (d.organisation_id, d.day, d.client_id, d.survey)
            = (o.organisation_id, o.day, o.client_id, o.survey)
          AND d.promoters = 0 AND d.passives = 0 AND d.detractors = 0;
        UPDATE feedback_by_client AS t
        SET promoters = t.promoters - o.promoters, passives = t.passives - o.passives,
            detractors = t.detractors - o.detractors
        FROM (SELECT client_id, COUNT(*) FILTER (WHERE score >= 9) AS promoters,
                     COUNT(*) FILTER (WHERE score IN (7, 8)) AS passives,
                     COUNT(*) FILTER (WHERE score <= 6) AS detractors
              FROM old_rows GROUP BY 1) AS o
        WHERE t.client_id = o.client_id;
        DELETE FROM feedback_by_client AS t USING (SELECT DISTINCT client_id FROM old_rows) AS o
        WHERE t.client_id = o.client_id AND t.promoters = 0 AND t.passives = 0 AND t.detractors = 0;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO feedback_daily AS d
        SELECT organisation_id, CAST(submitted_at AS DATE), client_id, survey,
               COUNT(*) FILTER (WHERE score >= 9), COUNT(*) FILTER (WHERE score IN (7, 8)),
               COUNT(*) FILTER (WHERE score <= 6)
        FROM new_rows GROUP BY 1, 2, 3, 4
        ON CONFLICT (organisation_id, day, client_id, survey) DO UPDATE
        SET promoters = d.promoters + EXCLUDED.promoters, passives = d.passives + EXCLUDED.passives,
            detractors = d.detractors + EXCLUDED.detractors;
        INSERT INTO feedback_by_client AS t
        SELECT client_id, MIN(organisation_id), COUNT(*) FILTER (WHERE score >= 9),
               COUNT(*) FILTER (WHERE score IN (7, 8)), COUNT(*) FILTER (WHERE score <= 6)
        FROM new_rows GROUP BY 1
        ON CONFLICT (client_id) DO UPDATE
        SET promoters = t.promoters + EXCLUDED.promoters, passives = t.passives + EXCLUDED.passives,
            detractors = t.detractors + EXCLUDED.detractors;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER feedback_daily_insert AFTER INSERT ON feedback
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedback_daily_track();
CREATE TRIGGER feedback_daily_delete AFTER DELETE ON feedback
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feedback_daily_track();
CREATE TRIGGER feedback_daily_update AFTER UPDATE ON feedback
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION feedback_daily_track();
