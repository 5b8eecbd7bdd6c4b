/**
 * Realtime: channels (pub/sub with presence, history, resume and exactly-once publishing), the
 * connection's state, the project broadcast, and collection watchers (live queries).
 *
 * @module
 */
export type {
  ChannelMessage,
  ChannelOptions,
  GapEvent,
  HistoryPage,
  PublishOptions,
  PublishResult,
} from "./channel.js";
export { Channel } from "./channel.js";
export type { CollectionWatcherOptions, WatcherChange, WatcherConnected } from "./collection-watcher.js";
export { CollectionWatcher } from "./collection-watcher.js";
export type { ConnectionEvent } from "./connection.js";
export { Connection } from "./connection.js";
export type { Listener, Unsubscribe } from "./emitter.js";
export type { ReconnectOptions } from "./policy.js";
export type { PresenceEvent, PresenceMember } from "./presence.js";
export { ChannelPresence } from "./presence.js";
export type { BroadcastMessage, ProjectBroadcastOptions } from "./project-broadcast.js";
export { ProjectBroadcast } from "./project-broadcast.js";
export type { Channels, RealtimeOptions } from "./realtime.js";
export { Realtime } from "./realtime.js";
export type {
  ActionMessage,
  ChatMessage,
  Participant,
  RoomClosedEvent,
  RoomDelta,
  RoomEvents,
  RoomInfo,
  RoomJoinedEvent,
  RoomOptions,
  RoomRemovedEvent,
  RoomRemoveResult,
  RoomSendResult,
  RoomSettings,
  RoomStateSnapshot,
  StateOp,
  StateUpdateResult,
} from "./room.js";
export { Room } from "./room.js";
export type { RoomChatOptions } from "./room-chat.js";
export { listRooms, RoomChat } from "./room-chat.js";
export type { ListRoomsQuery, RoomList, RoomListing } from "./room-directory.js";
export type { RealtimeCore, SocketState, SocketStateChange } from "./socket.js";
export type { StandaloneOptions } from "./standalone.js";
export type { ChangeEvent, CollectionEvent, SnapshotEvent, SubscribeOptions, WatchedDocument } from "./watcher.js";
export { CollectionSubscription } from "./watcher.js";
