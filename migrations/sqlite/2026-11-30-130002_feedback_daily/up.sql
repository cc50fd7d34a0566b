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
) WITHOUT ROWID;

INSERT INTO feedback_daily
SELECT organisation_id, date(submitted_at), client_id, survey,
       SUM(score >= 9), SUM(score IN (7, 8)), SUM(score <= 6)
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

-- One response joining (sign 1) or leaving (sign -1) its day's counts. SQLite has no procedures:
-- the feedback triggers insert into this view, and its INSTEAD OF trigger is the one place that
-- changes the counts, of its day and of its client. A leaving response only ever decrements (the
-- counts may already be gone with their organisation or client), and a row goes when its counts
-- reach zero.
CREATE VIEW feedback_daily_change AS
SELECT organisation_id, day, client_id, survey, 0 AS score, 0 AS sign FROM feedback_daily WHERE 0;

CREATE TRIGGER feedback_daily_change_apply INSTEAD OF INSERT ON feedback_daily_change BEGIN
    INSERT OR IGNORE INTO feedback_daily
    SELECT NEW.organisation_id, NEW.day, NEW.client_id, NEW.survey, 0, 0, 0 WHERE NEW.sign > 0;
    UPDATE feedback_daily SET promoters = promoters + NEW.sign * (NEW.score >= 9),
                              passives = passives + NEW.sign * (NEW.score IN (7, 8)),
                              detractors = detractors + NEW.sign * (NEW.score <= 6)
    WHERE organisation_id = NEW.organisation_id AND day = NEW.day
      AND client_id = NEW.client_id AND survey = NEW.survey;
    DELETE FROM feedback_daily
    WHERE organisation_id = NEW.organisation_id AND day = NEW.day
      AND client_id = NEW.client_id AND survey = NEW.survey
      AND promoters = 0 AND passives = 0 AND detractors = 0;
    INSERT OR IGNORE INTO feedback_by_client
    SELECT NEW.client_id, NEW.organisation_id, 0, 0, 0 WHERE NEW.sign > 0;
    UPDATE feedback_by_client SET promoters = promoters + NEW.sign * (NEW.score >= 9),
                                  passives = passives + NEW.sign * (NEW.score IN (7, 8)),
                                  detractors = detractors + NEW.sign * (NEW.score <= 6)
    WHERE client_id = NEW.client_id;
    DELETE FROM feedback_by_client
    WHERE client_id = NEW.client_id AND promoters = 0 AND passives = 0 AND detractors = 0;
END;

CREATE TRIGGER feedback_daily_insert AFTER INSERT ON feedback BEGIN
    INSERT INTO feedback_daily_change VALUES
        (NEW.organisation_id, date(NEW.submitted_at), NEW.client_id, NEW.survey, NEW.score, 1);
END;

CREATE TRIGGER feedback_daily_delete AFTER DELETE ON feedback BEGIN
    INSERT INTO feedback_daily_change VALUES
        (OLD.organisation_id, date(OLD.submitted_at), OLD.client_id, OLD.survey, OLD.score, -1);
END;

CREATE TRIGGER feedback_daily_update
AFTER UPDATE OF organisation_id, client_id, survey, score, submitted_at ON feedback BEGIN
    INSERT INTO feedback_daily_change VALUES
        (OLD.organisation_id, date(OLD.submitted_at), OLD.client_id, OLD.survey, OLD.score, -1),
        (NEW.organisation_id, date(NEW.submitted_at), NEW.client_id, NEW.survey, NEW.score, 1);
END;
