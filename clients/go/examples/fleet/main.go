// Command fleet streams a file of domains ("domain [tag]" per line, "-" for
// standard input) and prints each result, then the summary.
//
//	go run ./examples/fleet -target 127.0.0.1:50051 domains.txt
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mtasts/mtasts/clients/go/mtasts"
	mtastsv1 "github.com/mtasts/mtasts/clients/go/mtastsv1"
)

func grade(g mtastsv1.Grade) string { return strings.TrimPrefix(g.String(), "GRADE_") }

func main() {
	target := flag.String("target", "127.0.0.1:50051", "server: host:port, dns:///host:port or ipv4:a:p,b:p")
	caFile := flag.String("ca", "", "CA file to verify the server (turns TLS on)")
	serverName := flag.String("server-name", "", "name in the server's certificate")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: fleet [flags] FILE|-")
		os.Exit(2)
	}
	in := os.Stdin
	if flag.Arg(0) != "-" {
		f, err := os.Open(flag.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	var opts []mtasts.Option
	if *caFile != "" {
		opts = append(opts, mtasts.WithCAFile(*caFile))
	}
	if *serverName != "" {
		opts = append(opts, mtasts.WithServerName(*serverName))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, err := mtasts.Dial(ctx, *target, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer client.Close()

	// Lines are read only as fast as the server takes entries.
	entries := make(chan mtasts.Entry)
	go func() {
		defer close(entries)
		lines := bufio.NewScanner(in)
		for lines.Scan() {
			fields := strings.Fields(lines.Text())
			if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
				continue
			}
			e := mtasts.Entry{Domain: fields[0], Tag: fields[0]}
			if len(fields) > 1 {
				e.Tag = fields[1]
			}
			select {
			case entries <- e:
			case <-ctx.Done():
				return
			}
		}
	}()

	stream, err := client.Fleet(ctx, entries)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			os.Exit(1)
		}
		if r := ev.GetResult(); r != nil {
			fmt.Printf("%-30s %-20s grade %s score %3d\n", r.GetReport().GetDomain(), r.GetTag(),
				grade(r.GetReport().GetGrade()), r.GetReport().GetScore())
		} else if err := mtasts.EventError(ev); err != nil {
			fmt.Printf("%-30s %-20s error: %v\n", ev.GetError().GetDomain(), ev.GetError().GetTag(), err)
		}
	}
	s := stream.Summary()
	fmt.Printf("%d domains: %d reported, %d errors, mean score %.1f\n", s.GetReceived(), s.GetReported(), s.GetErrors(), s.GetMeanScore())
	for _, g := range s.GetByGrade() {
		fmt.Printf("  grade %s: %d\n", grade(g.GetGrade()), g.GetCount())
	}
}
