"""Publish messages to an MQTT broker, QoS 1, one topic per site and camera."""

from __future__ import annotations

import logging
import re
import threading

import paho.mqtt.client as mqtt

from sitewatch.config.push import MqttSettings
from sitewatch.push.webhook import DeliveryFailed
from sitewatch.store.payload import encode_message as encode

log = logging.getLogger("sitewatch.push.mqtt")

_TOPIC_UNSAFE = re.compile(r"[/+#\x00]")


def topic_level(value: str) -> str:
    """An id as one topic level: '/', '+', '#' would change the topic's shape, so they become '_'."""
    return _TOPIC_UNSAFE.sub("_", value) or "_"


def topic_for(prefix: str, site_id: str, camera_id: str) -> str:
    return f"{prefix}/sites/{topic_level(site_id)}/cameras/{topic_level(camera_id)}/events"


class MqttPublisher:
    channel = "mqtt"
    name = "mqtt"

    def __init__(self, settings: MqttSettings):
        self.settings = settings
        self.destination = f"mqtt://{settings.host}:{settings.port}"
        self._client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else None
            self._client.username_pw_set(settings.username, password)
        if settings.tls:
            self._client.tls_set()
        # Undelivered QoS 1 messages are the outbox's job, not paho's: keep paho's queue small.
        self._client.max_queued_messages_set(100)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._lock = threading.Lock()
        self._started = False
        self._connected = threading.Event()
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect

    @property
    def send_timeout_s(self) -> float:
        """The longest one ``send`` takes: connect (paho's 5 s), CONNACK, then PUBACK."""
        return 5 + 2 * self.settings.publish_timeout_s

    def _on_connect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        if not reason_code.is_failure:
            self._connected.set()
        else:
            log.warning("MQTT broker refused the connection: %s", reason_code)

    def _on_disconnect(self, _client, _userdata, _flags, _reason_code, _properties) -> None:
        self._connected.clear()

    def _ensure_connected(self) -> None:
        if self._client.is_connected():
            return
        with self._lock:
            try:
                if not self._started:
                    self._client.connect(self.settings.host, self.settings.port, self.settings.keepalive_s)
                    self._client.loop_start()
                    self._started = True
                else:
                    self._client.reconnect()
            except OSError as exc:
                raise DeliveryFailed(
                    f"MQTT broker unreachable ({type(exc).__name__})", target_down=True
                ) from None
        # publishing before the broker's CONNACK would only fail: wait for it, briefly
        if not self._connected.wait(self.settings.publish_timeout_s):
            raise DeliveryFailed("MQTT broker did not accept the connection in time", target_down=True)

    def send(self, message: dict) -> None:
        self._ensure_connected()
        event = message["event"]
        topic = topic_for(self.settings.topic_prefix, event["site_id"], event["camera_id"])
        info = self._client.publish(topic, encode(message), qos=1)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise DeliveryFailed(f"MQTT publish refused (rc={info.rc})", target_down=True)
        try:
            info.wait_for_publish(self.settings.publish_timeout_s)
        except (RuntimeError, ValueError):
            raise DeliveryFailed("MQTT publish not sent (not connected)", target_down=True) from None
        if not info.is_published():
            raise DeliveryFailed("MQTT broker did not acknowledge in time", target_down=True)

    def close(self) -> None:
        # The next send connects again from scratch (the service's last round at shutdown
        # runs after stop()): a reconnect() without the network loop would never see the CONNACK.
        with self._lock:
            if self._started:
                self._client.loop_stop()
                self._started = False
            self._client.disconnect()
            self._connected.clear()
