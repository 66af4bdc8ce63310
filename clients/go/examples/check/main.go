// Command check checks one domain and prints its grade and findings.
//
//	go run ./examples/check -target 127.0.0.1:50051 example.com
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc/status"

	"github.com/mtasts/mtasts/clients/go/mtasts"
)

func main() {
	target := flag.String("target", "127.0.0.1:50051", "server: host:port, dns:///host:port or ipv4:a:p,b:p")
	caFile := flag.String("ca", "", "CA file to verify the server (turns TLS on)")
	cert := flag.String("cert", "", "client certificate for mutual TLS")
	key := flag.String("key", "", "client key for mutual TLS")
	serverName := flag.String("server-name", "", "name in the server's certificate")
	timeout := flag.Duration("timeout", 30*time.Second, "time allowed for the domain")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: check [flags] DOMAIN")
		os.Exit(2)
	}
	var opts []mtasts.Option
	if *caFile != "" {
		opts = append(opts, mtasts.WithCAFile(*caFile))
	}
	if *cert != "" || *key != "" {
		opts = append(opts, mtasts.WithClientCert(*cert, *key))
	}
	if *serverName != "" {
		opts = append(opts, mtasts.WithServerName(*serverName))
	}

	ctx := context.Background()
	client, err := mtasts.Dial(ctx, *target, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer client.Close()

	report, err := client.Check(ctx, flag.Arg(0), mtasts.WithTimeout(*timeout))
	if err != nil {
		st := status.Convert(err)
		fmt.Fprintf(os.Stderr, "check %s: %s: %s\n", flag.Arg(0), st.Code(), st.Message())
		os.Exit(1)
	}
	fmt.Printf("%s: grade %s, score %d, MTA-STS %s\n", report.GetDomain(),
		strings.TrimPrefix(report.GetGrade().String(), "GRADE_"), report.GetScore(),
		strings.TrimPrefix(report.GetState().String(), "MTA_STS_STATE_"))
	for _, check := range report.GetChecks() {
		for _, f := range check.GetFindings() {
			fmt.Printf("  [%s] %s %s: %s\n", check.GetCheck(), f.GetSeverity(), f.GetCode(), f.GetTitle())
		}
	}
	for _, f := range report.GetDomainFindings() {
		fmt.Printf("  %s %s: %s\n", f.GetSeverity(), f.GetCode(), f.GetTitle())
	}
	if len(report.GetActions()) > 0 {
		fmt.Println("What to do, most urgent first:")
	}
	for _, a := range report.GetActions() {
		fmt.Printf("  [%s] %s\n", strings.TrimPrefix(a.GetPriority().String(), "SEVERITY_"), a.GetAction())
	}
	for _, p := range report.GetGoodPractice() {
		fmt.Printf("  (good practice) %s\n", p)
	}
}
