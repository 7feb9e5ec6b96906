//! Streaming answers that reqwest reads, read from a multi-thread runtime's
//! own thread.
//!
//! A `#[tokio::main]` function runs in `block_on`, on the runtime's own
//! thread, while reqwest's HTTP connection is driven by a task on a worker. The
//! daemon writes one HTTP chunk per log line or event, hyper hands the body
//! over one chunk at a time, and each hand-over from the worker to the
//! `block_on` thread is a cross-thread wake-up (a futex, an eventfd write):
//! on 2 cores `logs` then read at ~0.55× the throughput of a current-thread
//! runtime, for 3.5× the CPU (README, Benchmarks). A reader that runs in a
//! task on a worker sits beside the connection's task and loses nothing.
//!
//! So when a stream is opened from a multi-thread runtime outside any task,
//! [`hand_off`] reads it in a task of its own, which takes every chunk the
//! connection has ready (yielding once between chunks lets the connection's
//! task decode the next one on the same worker) and passes them on together,
//! up to [`BATCH`] bytes: one wake-up of the reader per batch instead of one
//! per chunk. It never waits for more data than is there, so a followed
//! `logs` or `events` is not delayed; chunks keep their order and an error
//! comes after the bytes before it. The channel holds four batches (256 KiB;
//! with one, the task waited for the reader after nearly every batch, a
//! wake-up the other way), so memory stays flat and a slow reader slows the
//! connection as before. Dropping the
//! stream ends the task at once, even while the daemon sends nothing.
//!
//! Everywhere else (a current-thread runtime, or a reader already in a task)
//! the body is read as it is, and so is every answer of the unix transport
//! ([`crate::UnixTransport`]), whose reader drives the connection itself (no
//! task of the connection's to wake). The choice is made where
//! [`crate::read_stream`] runs, as the generated `send()` returns: a stream
//! opened in `block_on` and moved into a task is still handed off (it costs
//! a little), one opened in a task and read in `block_on` is not (it reads
//! as before).

use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::future::{Either, select};
use futures_util::{FutureExt, StreamExt};
use tokio::sync::mpsc;

/// The body of a `ByteStream`.
pub(crate) type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// The most bytes passed on in one batch.
pub(crate) const BATCH: usize = 64 * 1024;

/// `body`, read in a task of its own when the caller is a multi-thread
/// runtime's own thread (see the module docs); else `body` itself.
pub(crate) fn hand_off(body: Body) -> Body {
    let on_runtime_thread = tokio::runtime::Handle::try_current().is_ok_and(|h| {
        h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
            && tokio::task::try_id().is_none()
    });
    if on_runtime_thread {
        Box::pin(HandedOff::spawn(body))
    } else {
        body
    }
}

/// The reader's side of a body read by a task.
struct HandedOff {
    rx: mpsc::Receiver<reqwest::Result<Bytes>>,
    /// Set by the task once the body ended or failed and everything was sent.
    finished: Arc<AtomicBool>,
    done: bool,
}

impl HandedOff {
    fn spawn(mut body: Body) -> Self {
        let (tx, rx) = mpsc::channel(4);
        let finished = Arc::new(AtomicBool::new(false));
        let finished_in_task = finished.clone();
        tokio::spawn(async move {
            loop {
                // The reader is gone: stop reading (and close the
                // connection) even while the daemon sends nothing.
                let first = match select(pin!(body.next()), pin!(tx.closed())).await {
                    Either::Left((item, _)) => item,
                    Either::Right(((), _)) => return,
                };
                let (batch, next) = match first {
                    None => (None, Next::End),
                    Some(Err(e)) => (None, Next::Failed(e)),
                    Some(Ok(chunk)) => {
                        let (batch, next) = gather(&mut body, chunk).await;
                        (Some(batch), next)
                    }
                };
                if let Some(batch) = batch
                    && tx.send(Ok(batch)).await.is_err()
                {
                    return;
                }
                match next {
                    Next::More => continue,
                    Next::End => {
                        finished_in_task.store(true, Ordering::Release);
                        return;
                    }
                    Next::Failed(e) => {
                        finished_in_task.store(true, Ordering::Release);
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
        });
        HandedOff {
            rx,
            finished,
            done: false,
        }
    }
}

/// What follows a batch.
enum Next {
    /// More may come.
    More,
    /// The body ended.
    End,
    /// The body failed after the batch.
    Failed(reqwest::Error),
}

/// `first` and the chunks the connection has ready after it, up to
/// [`BATCH`] bytes, and what follows them.
async fn gather(body: &mut Body, first: Bytes) -> (Bytes, Next) {
    // A batch of one chunk is passed on without a copy.
    let mut joined: Option<BytesMut> = None;
    let next = loop {
        if joined.as_ref().map_or(first.len(), BytesMut::len) >= BATCH {
            break Next::More;
        }
        // Let the connection's task (woken by the last read) decode the
        // next chunk on this worker before looking for it.
        tokio::task::yield_now().await;
        let chunk = match body.next().now_or_never() {
            // Nothing ready: pass on what there is.
            None => break Next::More,
            Some(None) => break Next::End,
            Some(Some(Err(e))) => break Next::Failed(e),
            Some(Some(Ok(chunk))) => chunk,
        };
        joined
            .get_or_insert_with(|| {
                let mut b = BytesMut::with_capacity(BATCH);
                b.extend_from_slice(&first);
                b
            })
            .extend_from_slice(&chunk);
    };
    (joined.map_or(first, BytesMut::freeze), next)
}

impl Stream for HandedOff {
    type Item = reqwest::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
            Poll::Ready(None) => {
                self.done = true;
                if self.finished.load(Ordering::Acquire) {
                    Poll::Ready(None)
                } else {
                    // The task was dropped before the body ended (its
                    // runtime shut down): say so instead of ending as if the
                    // answer were complete.
                    Poll::Ready(aborted().map(Err))
                }
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The error of a body whose reading task ended before the body did, as a
/// `reqwest::Error` like every other body error (reqwest makes them only
/// from a failing body; it fails on its first poll).
fn aborted() -> Option<reqwest::Error> {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other(
            "the task reading the answer ended before the answer did (its runtime shut down)",
        ))
    });
    let response =
        reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(failing)));
    response.bytes().now_or_never()?.err()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;
    use std::time::Duration;

    /// A body of `n` chunks (`0`, `1`, … as text, comma-terminated), all
    /// ready at once, then `tail`.
    fn body(n: usize, tail: Option<reqwest::Error>) -> Body {
        let chunks = (0..n).map(|i| Ok(Bytes::from(format!("{i},"))));
        Box::pin(stream::iter(chunks.chain(tail.map(Err))))
    }

    fn expected(n: usize) -> Vec<u8> {
        (0..n).flat_map(|i| format!("{i},").into_bytes()).collect()
    }

    /// Everything in order, then the error, then the end.
    async fn read_all(mut s: Body) -> (Vec<u8>, usize, Vec<String>, bool) {
        let (mut bytes, mut chunks, mut errors) = (Vec::new(), 0, Vec::new());
        while let Some(item) = s.next().await {
            match item {
                Ok(b) => {
                    assert!(errors.is_empty(), "bytes after an error");
                    bytes.extend_from_slice(&b);
                    chunks += 1;
                }
                Err(e) => errors.push(format!("{e:?}")),
            }
        }
        let ended = s.next().await.is_none();
        (bytes, chunks, errors, ended)
    }

    #[test]
    fn on_a_multi_thread_runtimes_own_thread_batches_keep_order_and_the_error() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (bytes, chunks, errors, ended) = rt.block_on(async {
            let tail = aborted().expect("a failing body fails");
            read_all(hand_off(body(5000, Some(tail)))).await
        });
        assert_eq!(bytes, expected(5000));
        // 23 890 bytes, all ready: passed on together.
        assert!(chunks < 10, "{chunks} chunks");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("ended before"), "{errors:?}");
        assert!(ended);
    }

    #[test]
    fn on_a_current_thread_runtime_and_in_a_task_the_body_is_read_as_it_is() {
        let ct = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (bytes, chunks, ..) = ct.block_on(read_all(hand_off(body(300, None))));
        assert_eq!((bytes, chunks), (expected(300), 300));

        let mt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (bytes, chunks, ..) = mt
            .block_on(async {
                tokio::spawn(async { read_all(hand_off(body(300, None))).await }).await
            })
            .unwrap();
        assert_eq!((bytes, chunks), (expected(300), 300));
    }

    /// Sets its flag when dropped.
    struct DropFlag(Arc<AtomicBool>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }

    #[test]
    fn dropping_the_stream_ends_the_task_while_the_daemon_sends_nothing() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        rt.block_on(async {
            // One chunk, then silence (a followed `logs` of an idle container).
            let silent: Body = Box::pin(
                stream::once(async { Ok(Bytes::from_static(b"hello")) })
                    .chain(stream::pending())
                    .map(move |item| {
                        let _ = &flag;
                        item
                    }),
            );
            let mut s = hand_off(silent);
            assert_eq!(s.next().await.unwrap().unwrap(), "hello");
            drop(s);
            for _ in 0..200 {
                if dropped.load(Ordering::Acquire) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the body was not dropped 2 s after the stream");
        });
    }

    #[test]
    fn a_runtime_that_shuts_down_mid_answer_is_an_error_not_an_end() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut s = rt.block_on(async {
            let silent: Body = Box::pin(
                stream::once(async { Ok(Bytes::from_static(b"partial")) }).chain(stream::pending()),
            );
            let mut s = hand_off(silent);
            assert_eq!(s.next().await.unwrap().unwrap(), "partial");
            s
        });
        rt.shutdown_timeout(Duration::from_secs(5));
        let ct = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let rest = ct.block_on(async { (s.next().await, s.next().await) });
        match rest {
            (Some(Err(e)), None) => assert!(format!("{e:?}").contains("ended before"), "{e:?}"),
            other => panic!("expected an error, then the end: {other:?}"),
        }
    }
}
