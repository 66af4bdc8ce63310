package mtasts

import (
	"context"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	mtastsv1 "github.com/mtasts/mtasts/clients/go/mtastsv1"
)

// Entry is one domain of a fleet.
type Entry struct {
	// Domain to check, as for Check.
	Domain string
	// Tag is echoed in the entry's event (e.g. a customer id).
	Tag string
	// Options for this entry; nil means the Fleet call's CheckOptions.
	Options *mtastsv1.CheckOptions
}

// FleetStream is a running fleet check. Recv it until it returns an error;
// it is not safe for concurrent Recv calls.
type FleetStream struct {
	stream   mtastsv1.MtaStsChecker_StreamFleetClient
	cancel   context.CancelFunc
	sendDone chan struct{}

	summary *mtastsv1.FleetSummary
	err     error // sticky, once the stream has ended
}

// Fleet checks the domains received from entries over one stream and
// returns at once; events are read with Recv. Entries are taken from the
// channel only as the stream can send them: the server keeps a bounded number
// in flight and stops reading while at its limit, so a producer feeding the
// channel is held back rather than buffered. Close entries after the last
// one; the stream then ends with the summary.
//
// Cancelling ctx ends the stream (Recv then fails with codes.Canceled). The
// stream stops reading entries when it ends, so a producer should also stop
// when ctx is done. A fleet is never retried.
func (c *Client) Fleet(ctx context.Context, entries <-chan Entry, opts ...CheckOption) (*FleetStream, error) {
	cfg := newCheckConfig(opts)
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.rpc.StreamFleet(ctx, cfg.callOpts...)
	if err != nil {
		cancel()
		return nil, err
	}
	s := &FleetStream{stream: stream, cancel: cancel, sendDone: make(chan struct{})}
	go s.send(ctx, entries, cfg.proto())
	return s, nil
}

// send feeds entries to the stream; Send blocks under HTTP/2 flow control,
// which is what keeps the channel from being drained ahead of the server.
func (s *FleetStream) send(ctx context.Context, entries <-chan Entry, defaults *mtastsv1.CheckOptions) {
	defer close(s.sendDone)
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-entries:
			if !ok {
				// Half-close: the server answers what it has, then the summary.
				_ = s.stream.CloseSend()
				return
			}
			req := &mtastsv1.FleetRequest{Domain: e.Domain, Tag: e.Tag, Options: e.Options}
			if req.Options == nil {
				req.Options = defaults
			}
			if err := s.stream.Send(req); err != nil {
				// io.EOF: the stream has ended; Recv returns its status.
				return
			}
		}
	}
}

// Recv returns the next event: a FleetResult (a report) or FleetError (an
// entry that could not be checked, see EventError) for each entry, in
// completion order, then the FleetSummary. After the summary it returns
// io.EOF. If the stream fails, it returns the gRPC status: the server's
// refusal, or codes.Canceled / codes.DeadlineExceeded from ctx.
func (s *FleetStream) Recv() (*mtastsv1.FleetEvent, error) {
	if s.err != nil {
		return nil, s.err
	}
	ev, err := s.stream.Recv()
	if err == io.EOF && s.summary == nil {
		err = status.Error(codes.Internal, "mtasts: fleet stream ended without a summary")
	}
	if err != nil {
		s.end(err)
		return nil, err
	}
	if sum := ev.GetSummary(); sum != nil {
		s.summary = sum
	}
	return ev, nil
}

// Summary is the fleet's summary once Recv has returned it, else nil.
func (s *FleetStream) Summary() *mtastsv1.FleetSummary { return s.summary }

// Stop ends the stream early, as cancelling Fleet's ctx does.
func (s *FleetStream) Stop() {
	s.cancel()
	<-s.sendDone
}

func (s *FleetStream) end(err error) {
	s.err = err
	s.cancel()
	<-s.sendDone // Send returns once the stream's ctx is cancelled
}

// EventError is the entry's error as a gRPC status error (status.Code works
// on it) when ev is a FleetError event, else nil.
func EventError(ev *mtastsv1.FleetEvent) error {
	e := ev.GetError()
	if e == nil {
		return nil
	}
	code := codes.Code(e.GetCode())
	if code == codes.OK {
		code = codes.Unknown // an error event always means failure
	}
	return status.Errorf(code, "%s (domain %q, tag %q)", e.GetMessage(), e.GetDomain(), e.GetTag())
}
