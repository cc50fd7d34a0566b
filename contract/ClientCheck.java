// Calls the live server through the Java client openapi-generator made from its OpenAPI document
// (library `native`: java.net.http and Jackson; contract/run compiles it without Maven): pages
// through every response since a date and incrementally by updated_since, reads scores, and
// downloads CSV, with the token as a bearer. Fails on any surprise.
//
// usage: java -cp … ClientCheck BASE_URL TOKEN
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import pulse.ApiClient;
import pulse.ApiException;
import pulse.api.AuthApi;
import pulse.api.DataApi;
import pulse.model.FeedbackField;
import pulse.model.FeedbackItem;
import pulse.model.FeedbackPage;
import pulse.model.FeedbackSort;
import pulse.model.ScoreDimension;
import pulse.model.ScoreGroup;
import pulse.model.Scores;
import pulse.model.WhoAmI;

public class ClientCheck {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("java client: " + what);
            System.exit(1);
        }
    }

    /** Every item of listFeedback, from the first page (cursor "") to the last. */
    static List<FeedbackItem> pages(ThrowingPage page) throws ApiException {
        List<FeedbackItem> items = new ArrayList<>();
        String cursor = "";
        while (cursor != null) {
            FeedbackPage one = page.get(cursor);
            items.addAll(one.getData());
            cursor = one.getNextCursor();
        }
        return items;
    }

    interface ThrowingPage {
        FeedbackPage get(String cursor) throws ApiException;
    }

    public static void main(String[] args) throws Exception {
        String base = args[0], token = args[1];
        ApiClient client = new ApiClient();
        client.updateBaseUri(base);
        client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
        DataApi data = new DataApi(client);

        WhoAmI me = new AuthApi(client).whoami();
        check(token.startsWith(me.getToken().getPrefix()), "whoami prefix " + me.getToken().getPrefix());

        OffsetDateTime sinceTime = OffsetDateTime.now(ZoneOffset.UTC).minusMonths(6).withNano(0);
        String since = sinceTime.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        List<FeedbackItem> recent = pages(cursor -> data.listFeedback(
            since, null, null, null, null, null, null, null, null, null, 200, cursor));
        Set<Integer> ids = new HashSet<>();
        for (FeedbackItem item : recent) {
            check(ids.add(item.getId()), "response " + item.getId() + " twice");
            check(!item.getSubmittedAt().isBefore(sinceTime), "response " + item.getId() + " before since");
        }
        Scores scores = data.getScores(since, null, null, null, null, null);
        check(recent.size() == scores.getOverall().getResponses(),
            "since: " + recent.size() + " paged, scores count " + scores.getOverall().getResponses());
        System.out.printf("java: feedback since %s: %d responses, each once%n", since.substring(0, 10), recent.size());

        List<FeedbackItem> changes = pages(cursor -> data.listFeedback(
            null, null, "1970-01-01T00:00:00Z", null, FeedbackSort.UPDATED_AT, null, null, null, null, null, 1000, cursor));
        check(!changes.isEmpty(), "no changes");
        String last = changes.get(changes.size() - 1).getUpdatedAt().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        List<FeedbackItem> again = pages(cursor -> data.listFeedback(
            null, null, last, null, FeedbackSort.UPDATED_AT, null, null, null, null, null, null, cursor));
        check(!again.isEmpty() && again.size() <= changes.size(), "updated_since=" + last + ": " + again.size());
        System.out.printf("java: incremental: %d changes, then %d at or after %s%n", changes.size(), again.size(), last);

        Set<ScoreDimension> byMonthAndClient = new LinkedHashSet<>(List.of(ScoreDimension.MONTH, ScoreDimension.CLIENT));
        Scores byMonth = data.getScores(null, null, null, null, byMonthAndClient, "Europe/Paris");
        long total = 0;
        for (ScoreGroup group : byMonth.getGroups()) {
            check(group.getPeriodStart() != null && group.getClientName() != null, "group without period or client");
            total += group.getResponses();
        }
        check(total == byMonth.getOverall().getResponses(), "groups add up to " + total);
        System.out.printf("java: scores: NPS %.1f over %d responses in %d month × client groups%n",
            byMonth.getOverall().getNps(), total, byMonth.getGroups().size());

        Set<FeedbackField> columns = new LinkedHashSet<>(List.of(FeedbackField.ID, FeedbackField.CLIENT_NAME, FeedbackField.SCORE));
        File file = data.exportFeedbackCsv(since, null, null, null, null, null, null, null, null, columns, false, false);
        List<String> lines = Files.readAllLines(file.toPath(), StandardCharsets.UTF_8);
        file.delete();
        check(lines.get(0).equals("id,client_name,score"), "CSV header " + lines.get(0));
        long rows = lines.stream().skip(1).filter(line -> !line.isEmpty()).count();
        check(rows == recent.size(), "CSV has " + rows + " rows, JSON " + recent.size());
        System.out.printf("java: CSV download: %d rows of %s%n", rows, lines.get(0));
    }
}
