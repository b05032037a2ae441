# The admin pages: overview, federation health, registration, invites and members.

admin-title = Administration
admin-about = Run this community: who may join, who is a member, and how deliveries to other servers are going.
admin-links-label = Admin pages
admin-invites-link = Invite codes
admin-members-link = Members

admin-registration = Joining
admin-registration-now = Joining now: { $what }
admin-registration-field = Who may sign up
admin-registration-open = Anyone (open)
admin-registration-invite = With an invite code
admin-registration-closed = Nobody (closed)
admin-registration-save = Save
admin-registration-invalid = Choose one of the ways to join.
admin-registration-saved = Saved. The sign-up page and the server's public description follow the new setting.

admin-federation = Deliveries to other servers
admin-federation-about = Each server with deliveries waiting, retrying or given up on. Servers that fail again and again rest for a while before they are tried again.
admin-queue-depth = Waiting deliveries: { $count }
admin-queue-due = Due now: { $count }
admin-queue-retrying = Retrying: { $count }
admin-queue-dead = Given up: { $count }
admin-queue-oldest = Oldest due delivery has waited { $seconds } s
admin-federation-empty = Every delivery has been made. Nothing is waiting.
admin-host = Server
admin-host-state = State
admin-host-pending = Waiting
admin-host-retrying = Retrying
admin-host-dead = Given up
admin-host-oldest = Oldest due
admin-host-action = Action
admin-host-ok = OK
admin-host-retrying-state = Retrying
admin-host-resting = Resting
admin-host-dead-state = Deliveries given up
admin-host-next-probe = Next try { $date }
admin-host-failures = { $count ->
    [one] 1 failure in a row
   *[other] { $count } failures in a row
}
admin-seconds = { $seconds } s
admin-retried = { $count ->
    [one] 1 delivery will be tried again.
   *[other] { $count } deliveries will be tried again.
}
admin-retry = Try again

admin-invites-title = Invite codes
admin-invites-about = Give a code to someone you want to invite. Each code works for as many sign-ups as you allow, until it expires.
admin-invite-create = New invite code
admin-invite-max-uses = How many people may sign up with it
admin-invite-expires = Valid for (days, empty for no limit)
admin-invite-submit = Create code
admin-invite-invalid = Uses must be a number from 1 to 1000, and days empty or from 1 to 365.
admin-invites-empty = No invite codes yet. Create one above and hand it to the person you are inviting.
admin-invite-code = Code
admin-invite-uses = Used
admin-invite-expiry = Expires
admin-invite-made = Created
admin-invite-never = Never
admin-invite-expired = expired
admin-invite-used-up = used up
admin-invite-withdraw = Withdraw
admin-invite-none = There is no such invite code.

admin-members-title = Members
admin-members-about = Suspended members cannot log in, and whatever they were logged in with is logged out at once.
admin-member-name = Member
admin-member-joined = Joined
admin-member-role = Role
admin-member-status = Status
admin-member-action = Action
admin-member-admin = Administrator
admin-member-moderator = Moderator
admin-member-role-save = Save role
admin-member-role-unknown = Choose member, moderator or administrator.
admin-member-member = Member
admin-member-active = Active
admin-member-suspended = Suspended since { $date }
admin-member-suspend = Suspend
admin-member-unsuspend = Reinstate
admin-member-you = you
admin-member-not-self = You cannot suspend yourself or change your own role.
admin-member-none = There is no such member.
admin-members-empty = No members yet.

admin-domains-link = Blocked servers
admin-domains-title = Blocked servers
admin-domains-about = Blocking takes effect at once on every process of this instance. Reject: nothing is received from or sent to the server, what this instance keeps of its accounts is removed, and members' friendships with its accounts end (the members are told). Limit: its accounts can only reach members who are already their friends.
admin-domains-list = Blocked servers
admin-domains-empty = No server is blocked.
admin-domain-block = Block a server
admin-domain-name = Domain
admin-domain-severity = Severity
admin-domain-reject = Reject
admin-domain-reject-hint = Nothing in or out; its content here is removed and friendships with it end.
admin-domain-limit = Limit
admin-domain-limit-hint = Its accounts reach only members who are already their friends; their friend requests wait apart.
admin-domain-reason = Reason (for moderators)
admin-domain-public-comment = Public comment (exported)
admin-domain-submit = Block
admin-domain-unblock = Unblock
admin-domain-none = That server is not blocked.
admin-domain-blocked = Blocked { $server }. { $count ->
    [0] No friendship ended.
    [one] One friendship ended.
   *[other] { $count } friendships ended.
}
admin-domain-unblocked = Unblocked { $server }.
admin-audit-link = Audit log
admin-audit-title = Audit log
admin-audit-about = Every moderation action: who took it, when, on what and why.
admin-audit-empty = No moderation action yet.
admin-audit-when = When
admin-audit-who = Who
admin-audit-what = Action
admin-audit-target = On
admin-audit-why = Why
admin-audit-older = Older

admin-reports-link = Reports
admin-reports-title = Reports
admin-reports-about = What members and other servers have reported. Posts and comments are shown only as the reporter could see them.
admin-reports-states = Report states
admin-reports-empty = No reports here.
admin-report-open = Open
admin-report-resolved = Resolved
admin-report-dismissed = Dismissed
admin-report-when = Reported
admin-report-target = Account
admin-report-by = Reported by
admin-report-reason = Reason
admin-report-comment = Comment
admin-report-state = State
admin-report-forwarded = Forwarded to
admin-report-from-server = the server { $server }
admin-report-reporter-gone = a member who has left
admin-report-title = Report
admin-report-objects = What is reported
admin-report-objects-hint = As the reporter could see it; what they can no longer see is not shown.
admin-report-no-objects = The account as a whole.
admin-report-a-comment = A comment:
admin-report-unavailable = Gone, or no longer visible to the reporter:
admin-report-resolve = Resolve
admin-report-dismiss = Dismiss
admin-report-actions = Actions
admin-report-delete-content = Remove the reported posts and comments
admin-report-suspend = Suspend the account
admin-report-limit = Limit the account (it reaches only its friends here)
admin-report-block-server = Block the server { $server } (reject)
admin-report-note = Note for the audit log
admin-accounts-list = Suspended and limited accounts
admin-accounts-about = Single accounts of other servers, suspended or limited from a report or with enishi account; their servers' other accounts are not affected.
admin-accounts-empty = No single account is suspended or limited.
admin-account-lift = Lift
