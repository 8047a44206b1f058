"""``push:`` section: webhook targets and the MQTT broker that events are pushed to."""

from pydantic import AnyHttpUrl, Field, SecretStr, model_validator

from sitewatch.config.base import Section
from sitewatch.config.problems import raise_if_any


class WebhookTarget(Section):
    name: str = Field(
        ..., pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="stable name; deliveries are keyed by it"
    )
    url: AnyHttpUrl
    secret: SecretStr = Field(..., min_length=16, description="HMAC-SHA256 key shared with the receiver")
    sites: list[str] = Field(default_factory=list, description="only these sites' events (empty: all)")
    timeout_s: float = Field(10.0, gt=0, le=120)


class WebhookSettings(Section):
    targets: list[WebhookTarget] = Field(default_factory=list)
    backoff_base_s: float = Field(2.0, gt=0, le=3600, description="first retry delay; doubles per failure")
    backoff_cap_s: float = Field(600.0, gt=0, le=86_400, description="longest delay between two attempts")
    max_age_s: float = Field(
        86_400.0, gt=0, le=30 * 86_400, description="a delivery still failing after this is dead"
    )
    poll_s: float = Field(1.0, gt=0, le=60, description="how often the worker looks for new changes")

    @model_validator(mode="after")
    def _unique_names(self) -> "WebhookSettings":
        names = [t.name for t in self.targets]
        if len(names) != len(set(names)):
            raise ValueError("webhook target names must be unique")
        return self

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> "WebhookSettings":
        # As in streams: a cap below the base would make every retry wait longer than the cap.
        if self.backoff_cap_s < self.backoff_base_s:
            message = (
                f"backoff_cap_s ({self.backoff_cap_s:g}) must not be below "
                f"backoff_base_s ({self.backoff_base_s:g})"
            )
            raise_if_any([(("backoff_cap_s",), message)])
        return self


class MqttSettings(Section):
    host: str = Field(..., min_length=1, description="broker host name or address")
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    tls: bool = False
    client_id: str = Field("sitewatch", min_length=1, max_length=64)
    topic_prefix: str = Field("sitewatch", pattern=r"^[^#+]{1,64}$", description="first topic level(s)")
    keepalive_s: int = Field(60, ge=5, le=3600)
    publish_timeout_s: float = Field(10.0, gt=0, le=120, description="wait this long for the broker's PUBACK")


class PushSettings(Section):
    webhooks: WebhookSettings = WebhookSettings()
    mqtt: MqttSettings | None = Field(None, description="omit to disable MQTT")
