//! An idle timeout for the facade's streams: a log, event or pull stream
//! whose daemon stops sending without closing ends with
//! [`ErrorKind::Timeout`] instead of waiting forever.
//!
//! The request timeout ([`crate::Config::request_timeout`]) bounds the wait
//! for an answer's head only, since a stream may rightly run for hours; what
//! bounds a stream is the gap between two of its items, which only the
//! caller can choose (a followed log of a quiet container is idle by nature,
//! which is why there is no default).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use crate::error::{Error, ErrorKind};

/// `.idle_timeout(limit)` on any stream of the facade (`output()`,
/// `json_lines()`, hijacked output, or any `Stream<Item = Result<T, Error>>`).
pub trait IdleTimeoutExt: Stream + Sized {
    /// Ends the stream with an [`ErrorKind::Timeout`] error when no item
    /// arrives for `limit`; every item restarts the clock.
    fn idle_timeout(self, limit: Duration) -> IdleTimeout<Self> {
        IdleTimeout {
            inner: self,
            limit,
            timer: Box::pin(tokio::time::sleep(limit)),
            done: false,
        }
    }
}

impl<S, T> IdleTimeoutExt for S where S: Stream<Item = Result<T, Error>> {}

/// The stream of [`IdleTimeoutExt::idle_timeout`].
pub struct IdleTimeout<S> {
    inner: S,
    limit: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
    done: bool,
}

impl<S, T> Stream for IdleTimeout<S>
where
    S: Stream<Item = Result<T, Error>> + Unpin,
{
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            let deadline = tokio::time::Instant::now() + this.limit;
            this.timer.as_mut().reset(deadline);
            this.done = item.is_none();
            return Poll::Ready(item);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.done = true;
                Poll::Ready(Some(Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "the stream sent nothing for {:?} (its idle timeout)",
                        this.limit
                    ),
                ))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    /// Items at the given offsets (ms from the previous item), then silence.
    fn trickle(gaps: &'static [u64]) -> impl Stream<Item = Result<u64, Error>> + Unpin {
        let items = futures_util::stream::iter(gaps.iter().copied()).then(|gap| async move {
            tokio::time::sleep(Duration::from_millis(gap)).await;
            Ok(gap)
        });
        Box::pin(items.chain(futures_util::stream::pending()))
    }

    #[tokio::test(start_paused = true)]
    async fn items_within_the_limit_pass_and_silence_ends_the_stream() {
        let limit = Duration::from_millis(100);
        let mut stream = trickle(&[50, 90, 10]).idle_timeout(limit);
        for expected in [50, 90, 10] {
            assert_eq!(stream.next().await.unwrap().unwrap(), expected);
        }
        let started = tokio::time::Instant::now();
        let err = stream.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert!(err.message().contains("100ms"), "{err}");
        assert_eq!(started.elapsed(), limit, "the clock restarts at each item");
        assert!(
            stream.next().await.is_none(),
            "the stream ends after the timeout"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_gap_longer_than_the_limit_times_out_and_a_finished_stream_just_ends() {
        let mut stream = trickle(&[10, 500]).idle_timeout(Duration::from_millis(100));
        assert_eq!(stream.next().await.unwrap().unwrap(), 10);
        assert_eq!(
            stream.next().await.unwrap().unwrap_err().kind(),
            ErrorKind::Timeout
        );

        let finished = futures_util::stream::iter([Ok::<_, Error>(1), Ok(2)]);
        let items: Vec<_> = finished
            .idle_timeout(Duration::from_millis(1))
            .collect()
            .await;
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(Result::is_ok));
    }
}
