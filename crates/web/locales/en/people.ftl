# Profiles, friends, introductions, notifications, footprints and settings.

people-rel-friends = You are friends
people-rel-requested = Friend request sent. It waits for their approval.
people-rel-following = You follow them. You become friends when they follow you back.
people-rel-requested-by = They asked to be your friend.
people-rel-blocking = You are blocking this account. They cannot see you or reach you.
people-answer-request = Answer the request
people-request-message = Message with your request (optional)
people-send-request = Send friend request
people-follow = Follow
people-follow-hint = Following shows their public posts to you; when they follow you back, you become friends.
people-unfriend = Unfriend
people-unfollow = Stop following
people-cancel-request = Cancel request
people-block = Block
people-unblock = Unblock

people-remote-original = See this profile on its own server
people-edit-profile = Edit profile
people-diaries-link = Diaries
people-friends-title = Friends
people-friends-none = No friends to show yet.
people-friends-all = All friends
people-friends-of = { $name }'s friends
people-friends-hidden = This friends list is not shown to you.
people-back-to-profile = Back to the profile

people-intros-title = Introductions
people-intros-none = No introductions to show.
people-intros-none-self = No introductions yet. Your friends can write a few words about you here.
people-intro-hidden = Hidden from your profile
people-intro-edit = Edit
people-intro-hide = Hide
people-intro-show = Show on my profile
people-intro-delete = Delete
people-intro-write = Write an introduction
people-intro-write-label = What kind of person is { $name }?
people-intro-submit = Post introduction
people-intro-edit-title = Edit your introduction
people-intro-text = Introduction
people-intro-save = Save
people-intro-invalid = Write 1 to 1,000 characters.

people-friends-tabs = Friends pages
people-my-friends = My friends
people-my-friends-empty = You have no friends here yet. Find people you know by their name on this or another server.
people-more = More
people-requests-title = Friend requests
people-requests-incoming = Requests to you
people-requests-incoming-none = No requests waiting for you.
people-requests-held = Waiting apart
people-requests-held-about = These come from servers an admin of this instance has limited. Nobody was notified of them; approve only people you know.
people-requests-outgoing = Your requests
people-requests-outgoing-none = You have no requests waiting for an answer.
people-approve = Approve
people-decline = Decline
people-blocks-title = Blocked accounts
people-blocks-about = Blocked accounts cannot see your profile or posts, comment, or send you a friend request. They are not told.
people-blocks-none = You are not blocking anyone.

people-find-title = Find friends
people-find-label = Name or address
people-find-hint = A member's username here, or someone elsewhere as @name@example.social or as their profile URL.
people-find-submit = Find
people-find-empty = Type a username of this community, or @name@server for someone on another server (Mastodon, Misskey, another Enishi…), then send them a friend request.
people-find-none = Nobody found as { $handle }. Check the spelling and the server's name.

people-notice-new = New
people-notices-empty = No notifications yet. Friend requests, comments, likes, introductions and mentions will show here.
people-notice-friend-request = { $name } sent you a friend request
people-notice-friend-accepted = { $name } is now your friend
people-notice-comment = { $what ->
    [voice] { $name } commented on your voice post
   *[other] { $name } commented on your diary
}
people-notice-like = { $what ->
    [voice] { $name } liked your voice post
   *[other] { $name } liked your diary
}
people-notice-boost = { $what ->
    [voice] { $name } passed on your voice post
   *[other] { $name } passed on your diary
}
people-notice-introduction = { $name } wrote an introduction of you
people-notice-mention = { $what ->
    [voice] { $name } mentioned you in a voice post
    [comment] { $name } mentioned you in a comment
   *[other] { $name } mentioned you in a diary
}
people-notice-server-blocked = Your friendship with { $name } ended: an admin of this instance blocked their server.

people-footprints-about = Members who visited your profile or diaries in the last 7 days.
people-footprints-off = Footprints are off: your visits leave none and others' visits are not recorded.
people-footprint-profile = your profile
people-footprint-diary = your diary

people-settings-saved = Saved.
people-settings-default-audience = Who can see new posts by default
people-settings-footprints = Leave and record footprints
people-settings-footprints-hint = When off, your visits leave no footprint and you see no visitors.
people-settings-lang-auto = As my browser prefers
people-settings-profile-audiences = Who can see your profile
people-settings-more = More settings
people-field-nickname-audience = Who can see your nickname
people-field-bio-audience = Who can see your bio
people-field-avatar-audience = Who can see your picture
people-field-friends-audience = Who can see your friends list
people-field-intros-audience = Who can see your introductions
people-save = Save
people-field-nickname = Nickname
people-field-bio = About you
people-fields-title = More about you
people-fields-hint = Up to 10 lines such as "Hometown" or "Hobbies", each with its own audience. Leave a line empty to remove it.
people-field-row = Line { $count }
people-field-name = Label
people-field-value = Value
people-invalid-nickname = The nickname can be at most 50 characters.
people-invalid-bio = The bio can be at most 2,000 characters.
people-invalid-fields = Every line needs a label (up to 50 characters) and a value of up to 500 characters.

people-images-title = Avatar and header image
people-images-hint = Both are shown to the people your avatar audience lets see them (Settings). Uploads are re-encoded, so location data and other EXIF is removed.
people-avatar-title = Avatar
people-header-title = Header image
people-image-file = New image (JPEG, PNG, WebP or GIF)
people-image-description = Alt text (describes the image for people who cannot see it)
people-image-remove = Remove this image
people-image-save = Save image
people-image-too-large = The image is too large. Choose a smaller file.
people-image-unsupported = This type of file is not taken. Choose a JPEG, PNG, WebP or GIF image.
people-image-broken = The image could not be read. Choose another file.
people-image-invalid-description = Alt text can be at most 1,500 characters.
