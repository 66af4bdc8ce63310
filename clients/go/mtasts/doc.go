// Package mtasts is a small client for the mtasts.v1 MTA-STS checking
// service: Dial a server, Check one domain, or stream a Fleet of domains.
//
// The wire types (DomainReport, FleetEvent, ...) are the generated package
// github.com/mtasts/mtasts/clients/go/mtastsv1, produced from
// proto/mtasts/v1 by Bazel (//clients/go:mtastsv1_gen).
//
// Errors returned by this package for failed calls are gRPC status errors:
// status.Code(err) gives the code (codes.InvalidArgument for a domain that
// is not a host name, codes.Canceled after the context is cancelled, ...).
package mtasts
