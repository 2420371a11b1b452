"""Behaviour of the Slack Web API methods FakeSlack answers, over in-memory state."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

Args = dict[str, Any]
DEFAULT_TZ = "America/Los_Angeles"


class SlackError(Exception):
    """Raised by a method handler to answer {"ok": false, "error": ...}."""


class UploadedFile(NamedTuple):
    """A file shared through the files_upload_v2 flow."""

    filename: str
    title: str
    channel_id: str | None
    content: bytes
    initial_comment: str | None


class SlackMethods:
    """Web API method handlers over a fake workspace; callers serialise access."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.channel_members: dict[str, list[str]] = {}
        self.channel_names: dict[str, str] = {}
        # User group id -> member ids; None answers plan_upgrade_required (a free workspace).
        self.usergroups: dict[str, list[str]] | None = {}
        # User group id -> its handle (usergroups.list); the id in lowercase when not set.
        self.usergroup_handles: dict[str, str] = {}
        self._ids = itertools.count(1)
        self.clear_state()

    @property
    def port(self) -> int:
        """The port upload URLs point at."""
        raise NotImplementedError

    def clear_state(self) -> None:
        """Forget messages, Home views and files (keeps users and channels)."""
        self.files: list[UploadedFile] = []
        self._messages: dict[tuple[str, str], Args] = {}
        self._homes: dict[str, Args] = {}
        self._uploads: dict[str, Args] = {}
        self._ts = itertools.count(100, 100)

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """Store bytes sent to an upload URL; False if the file id is unknown."""
        if file_id not in self._uploads:
            return False
        self._uploads[file_id]["content"] = content
        return True

    def handlers(self) -> dict[str, Callable[[Args], Args]]:
        """Method name -> handler returning the answer's fields (raises SlackError)."""
        return {
            "auth.test": self._auth_test,
            "apps.connections.open": lambda a: {"url": "ws://127.0.0.1:9/socket"},
            "usergroups.users.list": self._group_members,
            "usergroups.list": self._groups,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": lambda a: {"message_ts": self._next_ts()},
            "chat.delete": self._delete,
            "chat.getPermalink": self._permalink,
            "reactions.add": lambda a: {},
            "users.info": lambda a: {"user": self._user(a.get("user", ""))},
            "users.list": self._users_list,
            "users.conversations": self._users_conversations,
            "conversations.members": self._members,
            "conversations.info": lambda a: {"channel": self._channel(a.get("channel", ""))},
            "conversations.join": lambda a: {"channel": self._channel(a.get("channel", ""))},
            "conversations.open": self._open,
            "views.open": self._view,
            "views.push": self._view,
            "views.update": self._view,
            "views.publish": self._publish,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    def _group_members(self, args: Args) -> Args:
        if self.usergroups is None:
            raise SlackError("plan_upgrade_required")
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    def _groups(self, args: Args) -> Args:
        if self.usergroups is None:
            raise SlackError("plan_upgrade_required")
        return {
            "usergroups": [
                {"id": group, "handle": self.usergroup_handles.get(group, group.lower())}
                for group in self.usergroups
            ]
        }

    def _next_ts(self) -> str:
        micros = next(self._ts)
        return f"{1_700_000_000 + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _auth_test(self, args: Args) -> Args:
        url = "https://test.slack.com/"
        return {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "team": "Test", "url": url}

    def _post_message(self, args: Args) -> Args:
        channel = args.get("channel")
        if not channel:
            raise SlackError("channel_not_found")
        if not args.get("text") and not args.get("blocks") and not args.get("attachments"):
            raise SlackError("no_text")
        if channel[0] in "UW":
            channel = "D" + channel
        ts = self._next_ts()
        keys = ("text", "blocks", "attachments", "thread_ts", "reply_broadcast", "metadata")
        message = {"type": "message", "user": "UBOT", "bot_id": "BBOT", "ts": ts}
        message.update({k: args[k] for k in keys if k in args})
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": dict(message)}

    def _stored(self, args: Args) -> Args:
        message = self._messages.get((args.get("channel", ""), args.get("ts", "")))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _update(self, args: Args) -> Args:
        message = self._stored(args)
        message.update({k: args[k] for k in ("text", "blocks", "attachments") if k in args})
        message["edited"] = {"user": "UBOT", "ts": self._next_ts()}
        return {"channel": args["channel"], "ts": args["ts"], "text": message.get("text", "")}

    def _delete(self, args: Args) -> Args:
        self._stored(args)
        del self._messages[(args["channel"], args["ts"])]
        return {"channel": args["channel"], "ts": args["ts"]}

    def _permalink(self, args: Args) -> Args:
        channel, ts = args.get("channel", ""), str(args.get("message_ts", ""))
        link = f"https://test.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _user(self, user_id: str) -> Args:
        entry = dict(self.users.get(user_id, {}))
        tz = entry.pop("tz", DEFAULT_TZ)
        name = entry.pop("name", user_id.lower())
        real_name = entry.pop("real_name", name.title())
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        profile = {"display_name": entry.pop("display_name", name), "real_name": real_name}
        for field in ("status_emoji", "status_text", "status_expiration"):  # a Slack status
            if field in entry:
                profile[field] = entry.pop(field)
        return {
            "id": user_id,
            "team_id": "T1",
            "name": name,
            "real_name": real_name,
            "tz": tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_bot": False,
            "deleted": False,
            "profile": profile,
            **entry,
        }

    def _channel(self, channel_id: str) -> Args:
        name = self.channel_names.get(channel_id, channel_id.lower())
        return {"id": channel_id, "name": name, "is_channel": True, "is_member": True}

    def _members(self, args: Args) -> Args:
        return _page(self.channel_members.get(args.get("channel", ""), []), args)

    def _users_list(self, args: Args) -> Args:
        """The workspace's users (everyone known or in a channel), paged like Slack does."""
        known = [*self.users, *(m for ms in self.channel_members.values() for m in ms)]
        return _page([self._user(user) for user in dict.fromkeys(known)], args)

    def _users_conversations(self, args: Args) -> Args:
        user = args.get("user", "UBOT")
        ids = [cid for cid, members in self.channel_members.items() if user in members]
        channels = [self._channel(cid) for cid in ids]
        return {"channels": channels, "response_metadata": {"next_cursor": ""}}

    def _open(self, args: Args) -> Args:
        if args.get("channel"):
            return {"channel": {"id": args["channel"]}}
        users = str(args.get("users", "")).replace(",", "")
        return {"channel": {"id": "D" + users}}

    def _view(self, args: Args) -> Args:
        view_id = args.get("view_id") or f"V{next(self._ids):06d}"
        view: Args = {"id": view_id, "team_id": "T1", "state": {"values": {}}, "hash": view_id}
        view.update(args.get("view") or {})
        return {"view": view}

    def _publish(self, args: Args) -> Args:
        answer = self._view(args)
        self._homes[args.get("user_id", "")] = answer["view"]
        return answer

    def _upload_url(self, args: Args) -> Args:
        file_id = f"F{next(self._ids):06d}"
        self._uploads[file_id] = {"filename": args.get("filename", ""), "content": None}
        return {"upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, args: Args) -> Args:
        shared = []
        for item in args.get("files") or []:
            upload = self._uploads.get(item.get("id", ""))
            if upload is None or upload["content"] is None:
                raise SlackError("file_not_found")
            title = item.get("title") or upload["filename"]
            self.files.append(
                UploadedFile(
                    upload["filename"],
                    title,
                    args.get("channel_id"),
                    upload["content"],
                    args.get("initial_comment"),
                )
            )
            shared.append({"id": item["id"], "title": title, "name": upload["filename"]})
        return {"files": shared}


def _page(items: list[Any], args: Args) -> Args:
    """One page of `items` as `members`, with Slack's opaque cursor to the next page."""
    cursor = args.get("cursor") or ""
    start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
    end = start + int(args.get("limit") or 100)
    next_cursor = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
    return {"members": list(items[start:end]), "response_metadata": {"next_cursor": next_cursor}}
