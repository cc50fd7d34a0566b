// Calls the live server through the Go client openapi-generator made from its OpenAPI document
// (contract/run builds it with the standard library only): pages through every response since a
// date and incrementally by updated_since, reads scores, and downloads CSV, with the token sent as
// HTTP Basic credentials (any user name, the token as the password). Fails on any surprise.
//
// usage: go run ./cmd/check BASE_URL TOKEN   (inside the generated module `pulse`)
package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	pulse "pulse"
)

func check(ok bool, format string, args ...any) {
	if !ok {
		fmt.Fprintf(os.Stderr, "go client: "+format+"\n", args...)
		os.Exit(1)
	}
}

func must[T any](value T, response any, err error) T {
	if err != nil {
		fmt.Fprintf(os.Stderr, "go client: %v (%v)\n", err, response)
		os.Exit(1)
	}
	return value
}

func read[T any](value T, err error) T {
	return must(value, nil, err)
}

// pages walks listFeedback from the first page to the last and returns every item.
func pages(first func(cursor string) pulse.ApiListFeedbackRequest) []pulse.FeedbackItem {
	var items []pulse.FeedbackItem
	cursor := ""
	for {
		page := must(first(cursor).Execute())
		items = append(items, page.Data...)
		next := page.NextCursor.Get()
		if next == nil {
			return items
		}
		cursor = *next
	}
}

func main() {
	base, token := os.Args[1], os.Args[2]
	config := pulse.NewConfiguration()
	config.Servers = pulse.ServerConfigurations{{URL: base}}
	client := pulse.NewAPIClient(config)
	ctx := context.WithValue(context.Background(), pulse.ContextBasicAuth,
		pulse.BasicAuth{UserName: "report", Password: token})
	data := client.DataAPI

	me := must(client.AuthAPI.Whoami(ctx).Execute())
	check(strings.HasPrefix(token, me.Token.Prefix), "whoami prefix %s", me.Token.Prefix)

	since := time.Now().UTC().AddDate(0, -6, 0).Format(time.RFC3339)
	recent := pages(func(cursor string) pulse.ApiListFeedbackRequest {
		return data.ListFeedback(ctx).Since(since).Limit(200).Cursor(cursor)
	})
	seen := map[int32]bool{}
	for _, item := range recent {
		check(!seen[item.Id], "response %d twice", item.Id)
		seen[item.Id] = true
		check(!item.SubmittedAt.Before(mustTime(since)), "response %d before since", item.Id)
	}
	scores := must(data.GetScores(ctx).Since(since).Execute())
	check(int64(len(recent)) == scores.Overall.Responses,
		"since=%s: %d responses paged, scores count %d", since, len(recent), scores.Overall.Responses)
	fmt.Printf("go: feedback since %s: %d responses, each once\n", since[:10], len(recent))

	changes := pages(func(cursor string) pulse.ApiListFeedbackRequest {
		return data.ListFeedback(ctx).Sort(pulse.FEEDBACKSORT_UPDATED_AT).UpdatedSince("1970-01-01").Limit(1000).Cursor(cursor)
	})
	check(len(changes) > 0, "no changes")
	last := changes[len(changes)-1].UpdatedAt.Format(time.RFC3339)
	again := pages(func(cursor string) pulse.ApiListFeedbackRequest {
		return data.ListFeedback(ctx).Sort(pulse.FEEDBACKSORT_UPDATED_AT).UpdatedSince(last).Cursor(cursor)
	})
	check(len(again) > 0 && len(again) <= len(changes), "updated_since=%s: %d", last, len(again))
	fmt.Printf("go: incremental: %d changes, then %d at or after %s\n", len(changes), len(again), last)

	byMonth := must(data.GetScores(ctx).GroupBy([]pulse.ScoreDimension{pulse.SCOREDIMENSION_MONTH, pulse.SCOREDIMENSION_CLIENT}).Tz("Europe/Paris").Execute())
	var total int64
	for _, group := range byMonth.Groups {
		check(group.Period != nil && group.ClientName != nil, "group without period or client")
		total += group.Responses
	}
	check(total == byMonth.Overall.Responses, "groups add up to %d of %d", total, byMonth.Overall.Responses)
	nps := byMonth.Overall.Nps.Get()
	check(nps != nil, "overall NPS is null")
	fmt.Printf("go: scores: NPS %.1f over %d responses in %d month × client groups\n",
		*nps, total, len(byMonth.Groups))

	file := must(data.ExportFeedbackCsv(ctx).Since(since).Fields([]pulse.FeedbackField{pulse.FEEDBACKFIELD_ID, pulse.FEEDBACKFIELD_CLIENT_NAME, pulse.FEEDBACKFIELD_SCORE}).
		EscapeFormulas(false).Execute())
	defer os.Remove(file.Name())
	raw := read(io.ReadAll(file))
	rows := read(csv.NewReader(strings.NewReader(string(raw))).ReadAll())
	check(strings.Join(rows[0], ",") == "id,client_name,score", "CSV header %v", rows[0])
	check(len(rows)-1 == len(recent), "CSV has %d rows, JSON %d", len(rows)-1, len(recent))
	fmt.Printf("go: CSV download: %d rows of %v\n", len(rows)-1, rows[0])
}

func mustTime(raw string) time.Time {
	at, err := time.Parse(time.RFC3339, raw)
	check(err == nil, "time %s: %v", raw, err)
	return at
}
