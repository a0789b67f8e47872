"""Throttling profiles: viewport, device scale, network and CPU, applied through CDP like Lighthouse does.

Mobile is emulated by viewport, device scale factor and CDP throttling only, never Playwright's
``is_mobile=True``: with it Chromium marked a timer-driven layout shift as ``hadRecentInput`` and CLS read 0
(DESIGN §4).  Measured here on Chromium 156: DevTools network emulation delays the response body, not the first
byte, so TTFB under a throttled profile does not include the emulated latency (LCP, FCP and load do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bigday.errors import ConfigError


@dataclass(frozen=True)
class NetworkConditions:
    """CDP ``Network.emulateNetworkConditions`` values: latency per request, throughput in kbps (1024 bit/s)."""

    latency_ms: float
    download_kbps: float
    upload_kbps: float

    def cdp_params(self) -> dict[str, Any]:
        # DevTools wants bytes per second; Lighthouse converts kbps the same way (core/lib/emulation.js).
        return {
            "offline": False,
            "latency": self.latency_ms,
            "downloadThroughput": int(self.download_kbps * 1024 / 8),
            "uploadThroughput": int(self.upload_kbps * 1024 / 8),
        }


@dataclass(frozen=True)
class Profile:
    """How a page run is throttled and which Lighthouse score curves apply."""

    name: str
    width: int
    height: int
    device_scale_factor: float
    network: NetworkConditions | None
    cpu_slowdown: float
    device: str  # "desktop" | "mobile", recorded with every sample
    connection: str  # what the network emulates, recorded with every sample
    score_curves: str  # "desktop" | "mobile": Lighthouse v12 control points for the performance score
    # The User-Agent, with {major} for the real browser's major version; None keeps the browser's own.
    user_agent: str | None = None
    # How Lighthouse's devtools throttling relates: the preset this profile is, or departs from (docs/probe.md).
    lighthouse: str = ""
    # Chromium's mobile emulation (touch, mobile viewport) as Lighthouse's mobile preset has it; off elsewhere.
    is_mobile: bool = False
    # Lighthouse engine: devtools throttling even without network or CPU throttling (its desktop preset).
    force_devtools: bool = False

    def context_options(self, browser_version: str | None = None) -> dict[str, Any]:
        """Playwright ``new_context`` options (deliberately without ``is_mobile``, see module docstring)."""
        options: dict[str, Any] = {
            "viewport": {"width": self.width, "height": self.height},
            "device_scale_factor": self.device_scale_factor,
        }
        if self.is_mobile:
            options.update(is_mobile=True, has_touch=True)
        ua = self.user_agent_for(browser_version)
        if ua:
            options["user_agent"] = ua
        return options

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "viewport": [self.width, self.height],
            "device_scale_factor": self.device_scale_factor,
            "network": None
            if self.network is None
            else {
                "latency_ms": self.network.latency_ms,
                "download_kbps": self.network.download_kbps,
                "upload_kbps": self.network.upload_kbps,
            },
            "cpu_slowdown": self.cpu_slowdown,
            "user_agent": self.user_agent,
            "lighthouse": self.lighthouse,
        }

    def user_agent_for(self, browser_version: str | None) -> str | None:
        if not self.user_agent:
            return None
        major = (browser_version or "").split(".")[0]
        return self.user_agent.format(major=major if major.isdigit() else "0")

    def lighthouse_flags(self, browser_version: str | None = None) -> list[str]:
        """Lighthouse 12 command-line settings that measure under this profile (devtools throttling: applied,
        like the probe's, through CDP; ``none`` as Lighthouse's ``provided``)."""
        mobile = self.device == "mobile"
        flags = [
            f"--form-factor={self.device}",
            f"--screenEmulation.mobile={'true' if mobile else 'false'}",
            f"--screenEmulation.width={self.width}",
            f"--screenEmulation.height={self.height}",
            f"--screenEmulation.deviceScaleFactor={self.device_scale_factor:g}",
        ]
        ua = self.user_agent_for(browser_version)
        flags.append(f"--emulatedUserAgent={ua}" if ua else "--emulatedUserAgent=false")
        if self.network is None and self.cpu_slowdown == 1.0 and not self.force_devtools:
            return [*flags, "--throttling-method=provided"]
        net = self.network or NetworkConditions(0, 0, 0)
        return [
            *flags,
            "--throttling-method=devtools",
            f"--throttling.requestLatencyMs={net.latency_ms:g}",
            f"--throttling.downloadThroughputKbps={net.download_kbps:g}",
            f"--throttling.uploadThroughputKbps={net.upload_kbps:g}",
            f"--throttling.cpuSlowdownMultiplier={self.cpu_slowdown:g}",
        ]


_DESKTOP_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/{major}.0.0.0 Safari/537.36"
)
_MOBILE_UA = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/{major}.0.0.0 Mobile Safari/537.36"
)

PROFILES: dict[str, Profile] = {
    # Lighthouse desktop: 1350x940, RTT 40 ms, 10 Mbps, CPU x1 (desktopDense4G).  Lighthouse itself leaves the
    # network unthrottled in its devtools mode; bigday applies the 40 ms / 10 Mbps through CDP so a desktop run
    # still pays for bytes and round trips. Lighthouse's desktop User-Agent replaces "HeadlessChrome", which
    # apps and CDNs may treat as a bot.
    "desktop": Profile(
        name="desktop",
        width=1350,
        height=940,
        device_scale_factor=1.0,
        network=NetworkConditions(latency_ms=40, download_kbps=10 * 1024, upload_kbps=10 * 1024),
        cpu_slowdown=1.0,
        device="desktop",
        connection="dense-4g",
        score_curves="desktop",
        user_agent=_DESKTOP_UA,
        lighthouse="Lighthouse desktop (desktopDense4G) viewport, CPU and curves, plus its simulated network (40 ms, "
        "10 Mbps) applied for real; Lighthouse's devtools mode leaves the network unthrottled (lighthouse-desktop)",
    ),
    # Lighthouse mobile "slow 4G" in its devtools form: RTT 150 ms x 3.75 = 562.5 ms request latency,
    # 1.6 Mbps x 0.9 down, 750 kbps x 0.9 up; CPU x4; Moto G Power screen 412x823 at DPR 1.75, and that
    # phone's User-Agent (Lighthouse's string, with the real Chromium's major version), so an app that serves
    # phones a different page serves it here too.
    "mobile": Profile(
        name="mobile",
        width=412,
        height=823,
        device_scale_factor=1.75,
        network=NetworkConditions(latency_ms=562.5, download_kbps=1474.56, upload_kbps=675),
        cpu_slowdown=4.0,
        device="mobile",
        connection="slow-4g",
        score_curves="mobile",
        user_agent=_MOBILE_UA,
        lighthouse="Lighthouse mobile (mobileSlow4G) in devtools mode: the same latency, throughput, CPU, screen and "
        "curves; emulated without mobile touch emulation (see module docstring; lighthouse-mobile has it)",
    ),
    # No throttling at all: the machine's own speed over loopback, the desktop viewport and curves, and the
    # browser's own User-Agent.
    "none": Profile(
        name="none",
        width=1350,
        height=940,
        device_scale_factor=1.0,
        network=None,
        cpu_slowdown=1.0,
        device="desktop",
        connection="unthrottled",
        score_curves="desktop",
        lighthouse="Lighthouse desktop with --throttling-method=provided and the browser's own User-Agent",
    ),
    # Lighthouse's own presets in devtools mode, exactly: desktopDense4G leaves requestLatencyMs and both
    # throughputs at 0 ("unset"), so the desktop preset does not throttle the network at all; both keep
    # Lighthouse's User-Agent strings verbatim (Chrome/119) and the mobile one its mobile screen emulation.
    "lighthouse-desktop": Profile(
        name="lighthouse-desktop",
        width=1350,
        height=940,
        device_scale_factor=1.0,
        network=None,
        cpu_slowdown=1.0,
        device="desktop",
        connection="lighthouse-desktop",
        score_curves="desktop",
        user_agent=_DESKTOP_UA.replace("{major}", "119"),
        lighthouse="Lighthouse 12 --preset=desktop --throttling-method=devtools, exactly (no network throttling)",
        force_devtools=True,
    ),
    "lighthouse-mobile": Profile(
        name="lighthouse-mobile",
        width=412,
        height=823,
        device_scale_factor=1.75,
        network=NetworkConditions(latency_ms=562.5, download_kbps=1474.56, upload_kbps=675),
        cpu_slowdown=4.0,
        device="mobile",
        connection="lighthouse-mobile",
        score_curves="mobile",
        user_agent=_MOBILE_UA.replace("{major}", "119"),
        lighthouse="Lighthouse 12 default (mobile) --throttling-method=devtools, exactly, touch emulation included",
        is_mobile=True,
    ),
}


def get_profile(name: str) -> Profile:
    """Look a profile up by name; ConfigError lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown profile {name!r}; expected one of {', '.join(PROFILES)}") from None


def apply_profile(cdp: Any, profile: Profile) -> None:
    """Throttle the page behind ``cdp`` (a Playwright CDPSession) before it navigates."""
    if profile.network is not None:
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", profile.network.cdp_params())
    if profile.cpu_slowdown != 1.0:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile.cpu_slowdown})
