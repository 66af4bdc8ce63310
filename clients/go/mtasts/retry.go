package mtasts

import (
	"context"
	"errors"
	"math/rand"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RetryPolicy says how Check retries a call the server refused for load
// (codes.ResourceExhausted) or that could not reach a server
// (codes.Unavailable). Check only reads, so a retry is always safe. Fleet is
// never retried: its entries are consumed as they are sent.
type RetryPolicy struct {
	// MaxAttempts counts the first call too; 1 (or less) means no retry.
	MaxAttempts int
	// InitialBackoff is the wait before the second attempt; each further
	// wait is Multiplier times longer, at most MaxBackoff. Each wait is
	// jittered to between half and all of it, so clients refused together
	// do not come back together.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	Multiplier     float64
}

// DefaultRetryPolicy is what Dial uses unless WithRetry says otherwise.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:    4,
	InitialBackoff: 200 * time.Millisecond,
	MaxBackoff:     5 * time.Second,
	Multiplier:     2,
}

func retryable(err error) bool {
	switch status.Code(err) {
	case codes.ResourceExhausted, codes.Unavailable:
		return true
	}
	return false
}

// backoff is the jittered wait after the given failed attempt (from 1).
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := float64(p.InitialBackoff)
	for i := 1; i < attempt; i++ {
		d *= p.Multiplier
		if d >= float64(p.MaxBackoff) {
			break
		}
	}
	if max := float64(p.MaxBackoff); max > 0 && d > max {
		d = max
	}
	half := d / 2
	return time.Duration(half + rand.Float64()*half)
}

// do calls f until it succeeds, fails with a code that is not retryable,
// runs out of attempts, or ctx ends (then the error is ctx's as a status).
func (p RetryPolicy) do(ctx context.Context, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || !retryable(err) || attempt >= p.MaxAttempts {
			return err
		}
		wait := p.backoff(attempt)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return err // no time left for another attempt
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return contextStatus(ctx.Err())
		case <-t.C:
		}
	}
}

// contextStatus converts a context error to the status gRPC would report.
func contextStatus(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}
