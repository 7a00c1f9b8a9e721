// SPDX-License-Identifier: Apache-2.0
// ttrpc_go_peer: containerd's Go ttrpc as a test and benchmark peer for cocoon's C++
// ttrpc. Modes:
//
//	serve SOCKET             serve cocoon.test.Echo/Echo until killed
//	call SOCKET              run the interop scenarios against SOCKET, one line each
//	bench SOCKET N CONC      N Echo calls with CONC in flight on one connection
//	golden DIR               print the frames Go's ttrpc writes for fixed calls, in hex
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
	"github.com/gogo/protobuf/proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const service = "cocoon.test.Echo"

// Field numbers as in tests/ttrpc/echo.proto; gogo/protobuf marshals from the tags.
type EchoRequest struct {
	Text       string `protobuf:"bytes,1,opt,name=text,proto3"`
	FailCode   int32  `protobuf:"varint,2,opt,name=fail_code,proto3"`
	SleepMs    int64  `protobuf:"varint,3,opt,name=sleep_ms,proto3"`
	ReplyBytes int64  `protobuf:"varint,4,opt,name=reply_bytes,proto3"`
}

func (m *EchoRequest) Reset()         { *m = EchoRequest{} }
func (m *EchoRequest) String() string { return fmt.Sprintf("%+v", *m) }
func (*EchoRequest) ProtoMessage()    {}

type EchoResponse struct {
	Text        string   `protobuf:"bytes,1,opt,name=text,proto3"`
	Metadata    []string `protobuf:"bytes,2,rep,name=metadata,proto3"`
	TimeoutNano int64    `protobuf:"varint,3,opt,name=timeout_nano,proto3"`
	Blob        []byte   `protobuf:"bytes,4,opt,name=blob,proto3"`
}

func (m *EchoResponse) Reset()         { *m = EchoResponse{} }
func (m *EchoResponse) String() string { return fmt.Sprintf("text=%q", m.Text) }
func (*EchoResponse) ProtoMessage()    {}

// must ends the peer on an error it cannot test around (the test sees the output).
func must(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func echo(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	var req EchoRequest
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	if req.SleepMs > 0 {
		select {
		case <-time.After(time.Duration(req.SleepMs) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if req.FailCode != 0 {
		return nil, status.Errorf(codes.Code(req.FailCode), "failing as asked: %s", req.Text)
	}
	resp := &EchoResponse{Text: req.Text, Blob: bytes.Repeat([]byte{'x'}, int(req.ReplyBytes))}
	if md, ok := ttrpc.GetMetadata(ctx); ok {
		for k, values := range md {
			for _, v := range values {
				resp.Metadata = append(resp.Metadata, k+"="+v)
			}
		}
		sort.Strings(resp.Metadata)
	}
	if dl, ok := ctx.Deadline(); ok {
		resp.TimeoutNano = time.Until(dl).Nanoseconds()
	}
	return resp, nil
}

func serve(path string) {
	os.Remove(path)
	l, err := net.Listen("unix", path)
	must(err)
	s, _ := ttrpc.NewServer()
	s.Register(service, map[string]ttrpc.Method{"Echo": echo})
	fmt.Println("listening", path)
	s.Serve(context.Background(), l)
}

func dial(path string) *ttrpc.Client {
	conn, err := net.Dial("unix", path)
	must(err)
	return ttrpc.NewClient(conn)
}

// describe prints a call's outcome as "ok <text> md=[...] timeout=<bool>" or "err <code> <msg>".
func describe(resp *EchoResponse, err error) string {
	if err != nil {
		st, _ := status.FromError(err)
		return fmt.Sprintf("err %d %s", int(st.Code()), st.Message())
	}
	return fmt.Sprintf("ok %s md=[%s] timeout=%v blob=%d", resp.Text,
		strings.Join(resp.Metadata, ","), resp.TimeoutNano > 0, len(resp.Blob))
}

func call(c *ttrpc.Client, ctx context.Context, method string, req *EchoRequest) string {
	var resp EchoResponse
	err := c.Call(ctx, service, method, req, &resp)
	return describe(&resp, err)
}

func scenarios(path string) {
	c := dial(path)
	defer c.Close()
	bg := context.Background()
	md := ttrpc.MD{}
	md.Set("Client-Key", "v1", "v2")
	fmt.Println("echo:", call(c, ttrpc.WithMetadata(bg, md), "Echo", &EchoRequest{Text: "hello"}))
	fmt.Println("fail:", call(c, bg, "Echo", &EchoRequest{Text: "nope", FailCode: 5}))
	fmt.Println("method:", call(c, bg, "Missing", &EchoRequest{}))
	var resp EchoResponse
	err := c.Call(bg, "no.Such", "Echo", &EchoRequest{}, &resp)
	fmt.Println("service:", describe(&resp, err))
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	fmt.Println("timeout:", call(c, ctx, "Echo", &EchoRequest{Text: "t"}))
	cancel()
	// The server answers DEADLINE_EXCEEDED as the client gives up; either side may win.
	ctx, cancel = context.WithTimeout(bg, 100*time.Millisecond)
	fmt.Println("deadline:", call(c, ctx, "Echo", &EchoRequest{SleepMs: 5000}))
	cancel()
	fmt.Println("big:", call(c, bg, "Echo", &EchoRequest{Text: strings.Repeat("y", 5<<20)}))
	fmt.Println("after-big:", call(c, bg, "Echo", &EchoRequest{Text: "still"}))
	fmt.Println("bigreply:", call(c, bg, "Echo", &EchoRequest{ReplyBytes: 5 << 20}))
	// 100 calls in flight at once, each held 50 ms by the server.
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			text := strconv.Itoa(i)
			var r EchoResponse
			err := c.Call(bg, service, "Echo", &EchoRequest{Text: text, SleepMs: 50}, &r)
			if err != nil || r.Text != text {
				mu.Lock()
				bad++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	fmt.Printf("concurrent: bad=%d fast=%v\n", bad, time.Since(start) < 3*time.Second)
}

func bench(path string, n, conc int) {
	c := dial(path)
	defer c.Close()
	var wg sync.WaitGroup
	per := n / conc
	lat := make([]time.Duration, 0, n)
	var mu sync.Mutex
	start := time.Now()
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, per)
			for i := 0; i < per; i++ {
				t := time.Now()
				var r EchoResponse
				if err := c.Call(context.Background(), service, "Echo", &EchoRequest{Text: "ping"}, &r); err != nil {
					fmt.Println("error:", err)
					os.Exit(1)
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("calls=%d seconds=%.6f p50_us=%.1f p99_us=%.1f\n", len(lat), elapsed.Seconds(),
		float64(lat[len(lat)/2].Nanoseconds())/1e3, float64(lat[len(lat)*99/100].Nanoseconds())/1e3)
}

func readFrame(conn net.Conn) []byte {
	header := make([]byte, 10)
	_, err := io.ReadFull(conn, header)
	must(err)
	frame := make([]byte, 10+binary.BigEndian.Uint32(header[:4]))
	copy(frame, header)
	_, err = io.ReadFull(conn, frame[10:])
	must(err)
	return frame
}

// golden prints the first frame the Go client writes for a call, and the frames the Go
// server answers to a call that succeeds and one that fails.
func golden(dir string) {
	ours, theirs := net.Pipe()
	c := ttrpc.NewClient(ours)
	md := ttrpc.MD{}
	md.Set("k", "v")
	go c.Call(ttrpc.WithMetadata(context.Background(), md), service, "Echo", &EchoRequest{Text: "hi"}, &EchoResponse{})
	fmt.Println("request:", hex.EncodeToString(readFrame(theirs)))
	c.Close()

	path := dir + "/golden.sock"
	l, err := net.Listen("unix", path)
	must(err)
	s, _ := ttrpc.NewServer()
	s.Register(service, map[string]ttrpc.Method{"Echo": echo})
	go s.Serve(context.Background(), l)
	conn, err := net.Dial("unix", path)
	must(err)
	for i, req := range []*EchoRequest{{Text: "hi"}, {Text: "x", FailCode: 5}} {
		payload, _ := proto.Marshal(req)
		body, _ := proto.Marshal(&ttrpc.Request{Service: service, Method: "Echo", Payload: payload})
		frame := make([]byte, 10, 10+len(body))
		binary.BigEndian.PutUint32(frame[:4], uint32(len(body)))
		binary.BigEndian.PutUint32(frame[4:8], uint32(2*i+1))
		frame[8] = 1
		conn.Write(append(frame, body...))
		fmt.Printf("response%d: %s\n", i+1, hex.EncodeToString(readFrame(conn)))
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: ttrpc_go_peer serve|call|bench SOCKET [N CONC]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2])
	case "call":
		scenarios(os.Args[2])
	case "golden":
		golden(os.Args[2])
	case "bench":
		n, _ := strconv.Atoi(os.Args[3])
		conc, _ := strconv.Atoi(os.Args[4])
		bench(os.Args[2], n, conc)
	default:
		os.Exit(2)
	}
}
