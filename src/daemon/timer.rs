//! The event loop's one timer, on a `timerfd`: tokio's timer wheel rounds every deadline up to
//! the next millisecond and wakes late by up to that much, which shows in failover time
//! measured against Master_Down_Interval; a timerfd wakes epoll at the microsecond deadline
//! the engine computed, as keepalived's own timerfd-driven scheduler does.

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use std::io;
use std::os::fd::{AsFd as _, AsRawFd, RawFd};
use std::time::Instant;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// `TimerFd` with the `AsRawFd` tokio's `AsyncFd` asks for.
struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// A one-shot CLOCK_MONOTONIC timer (the clock `std::time::Instant` reads on Linux).
pub struct Deadline {
    fd: AsyncFd<Fd>,
}

impl Deadline {
    /// A disarmed timer registered with the current tokio runtime.
    pub fn new() -> io::Result<Self> {
        let tfd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        // SAFETY: the AsyncFd owns the timerfd from here on and the fd is closed only when it
        // is dropped, after deregistration; nothing else holds or closes this fd.
        let fd = unsafe { AsyncFd::register_with_interest(Fd(tfd), Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        Ok(Self { fd })
    }

    /// Wait until `deadline` (forever when `None`). Cancel-safe: a dropped wait leaves at most
    /// a stale expiry behind, seen as one early wake-up, which the loop tolerates because it
    /// asks every instance whether its own deadline has passed. Should the timerfd fail, the
    /// wait falls back to tokio's millisecond timer rather than spinning.
    pub async fn wait(&self, deadline: Option<Instant>) {
        let Some(at) = deadline else {
            return std::future::pending().await;
        };
        if let Err(e) = self.wait_fd(at).await {
            tracing::warn!("protocol timer: {e}; using the millisecond timer");
            tokio::time::sleep_until(at.into()).await;
        }
    }

    async fn wait_fd(&self, at: Instant) -> io::Result<()> {
        let now = Instant::now();
        if at <= now {
            return Ok(());
        }
        // A zero it_value disarms a timerfd: the check above keeps the duration positive.
        let span = TimeSpec::from_duration(at - now);
        self.fd
            .get_ref()
            .0
            .set(Expiration::OneShot(span), TimerSetTimeFlags::empty())?;
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| fd.get_ref().0.wait().map_err(io::Error::from)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn wakes_at_the_deadline_not_before() {
        let timer = Deadline::new().unwrap();
        let at = Instant::now() + Duration::from_millis(30);
        timer.wait(Some(at)).await;
        assert!(Instant::now() >= at);
        // A deadline in the past returns at once, and the timer can be re-armed after.
        timer
            .wait(Some(Instant::now() - Duration::from_millis(1)))
            .await;
        let at = Instant::now() + Duration::from_millis(5);
        timer.wait(Some(at)).await;
        assert!(Instant::now() >= at);
    }

    #[tokio::test]
    async fn no_deadline_never_fires() {
        let timer = Deadline::new().unwrap();
        let r = tokio::time::timeout(Duration::from_millis(20), timer.wait(None)).await;
        assert!(r.is_err());
    }
}
