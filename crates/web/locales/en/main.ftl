# The frame of every page, joining and leaving, errors and shared words. Other files in this
# folder hold the messages of one group of pages each; every message exists in ja/ too.

skip-to-content = Skip to content
nav-label = Main menu
nav-home = Home
nav-write-diary = Write a diary
nav-friends = Friends
nav-notifications = Notifications
nav-footprints = Footprints
nav-profile = My profile
nav-settings = Settings
nav-admin = Admin
nav-login = Log in
nav-signup = Sign up
nav-logout = Log out
language = Language
language-switch = Change
footer-powered = Running on Enishi (縁): friendships, diaries and introductions, each with its own audience.
notifications-unread = { $count ->
    [one] 1 unread notification
   *[other] { $count } unread notifications
}

front-title = Welcome
front-about = A community on Enishi (縁): mutual friendships, diaries, voice posts and introductions, each with its own audience.
front-joining-open = Anyone may join.
front-joining-invite = Joining is by invitation from a member.
front-joining-closed = New accounts are created by the administrator.

field-username = Username
field-password = Password
field-invite = Invite code
field-current-password = Current password
field-new-password = New password
field-audience = Who can see this

login-title = Log in
login-submit = Log in
login-failed = Wrong username or password.
login-no-account = No account yet?
login-rate-limited = Too many attempts. Try again in { $seconds } seconds.
posting-rate-limited = You are posting too fast. Try again in { $seconds } seconds.

signup-title = Sign up
signup-submit = Create my account
signup-username-hint = 1 to 30 characters: lower-case letters, digits and underscores.
signup-password-hint = At least 8 characters.
signup-invite-refused = This invite code cannot be used. Check it, or ask the member who gave it to you for a new one.
signup-username-taken = Someone already has this username. Choose another.

password-title = Change password
password-submit = Change password
password-changed = Your password has been changed. Your other sessions have been logged out.
password-wrong = The current password is wrong.

sessions-title = Where you are logged in
sessions-about = Each browser you logged in with. End any you do not recognise.
sessions-this = this browser
sessions-unknown-browser = Unknown browser
sessions-started = Logged in
sessions-last-used = last used
sessions-end = Log out there
sessions-none = There is no such session.

audience-public = Public
audience-members = Members of this community
audience-friends_of_friends = Friends of friends
audience-friends = Friends
audience-private = Only me
audience-direct = Direct

origin-remote = From { $server }
pager-label = More
pager-older = Older

home-title = Hello, { $name }
home-timeline = Your friends' latest
home-empty = Nothing here yet. Find friends to see their diaries and voice posts here.
home-empty-action = Find friends
home-first-diary = Or write your first diary
home-requests = { $count ->
    [one] 1 friend request waiting
   *[other] { $count } friend requests waiting
}
home-requests-answer = Answer
home-footprints = Recent footprints
home-footprints-all = All footprints
footprints-empty = No visitors in the last 7 days.
voice-composer-label = What are you up to?
voice-post = Post

error-400 = That request could not be understood
error-401 = Please log in
error-403 = Not allowed
error-404 = Not found
error-409 = That cannot be done now
error-413 = Too large
error-422 = Please check what you entered
error-429 = Too many requests
error-other = Something went wrong
error-back-home = Back to the home page
error-admins-only = Only administrators can see this page.
error-language = That language is not available.

nav-reports = Reports
error-moderators-only = Only moderators and administrators can see this page.
report-title = Report
report-about = Tell the moderators what is wrong. The person you report is not told who reported them.
report-account = Account:
report-with-object = The post or comment you came from is included.
report-reason = Reason
report-reason-spam = Spam
report-reason-violation = Against the community's rules (harassment, abuse)
report-reason-legal = Illegal content
report-reason-other = Something else
report-comment = What happened (optional)
report-forward = Also send it to { $server }
report-forward-hint = Their moderators get your comment and what you report, without your name.
report-submit = Send the report
report-sent = Thank you. The moderators will look at your report.
report-link = Report
leave-title = Delete my account
leave-about = Your diaries, voice posts, comments, likes, introductions, friendships and photos are removed, and nobody can sign up with your username again. This cannot be undone.
leave-federation = Servers elsewhere that know you are told that your account is gone, and remove their copies.
leave-submit = Delete my account for good
leave-done = Your account has been deleted. Goodbye, and thank you.
archive-title = Download my data
archive-about = An archive (zip) of your diaries, voice posts and comments, the introductions you wrote and received, your friends (also as a following list Mastodon can import) and every photo you uploaded.
archive-latest = Your latest archive
archive-asked = Asked for
archive-running = Being made:
archive-check = Check again
archive-ready = Your archive is ready.
archive-download = Download the archive
archive-failed = The archive could not be made. Please try again.
archive-start = Make a new archive
move-title = Moving to another server
move-saved = Saved.
move-moved = You have moved to
move-aliases = Your accounts elsewhere
move-aliases-hint = To move an account from another server here, name it below first: that server checks that this account lists it.
move-aliases-field = Accounts (one handle or address a line)
move-away = Move to another account
move-away-hint = First list this account among the new account's aliases there. Your friends' servers are told; Enishi servers carry a friendship over when your new account asks for it.
move-target = The new account
move-submit = Move
move-not-alias = { $handle } does not list this account among its aliases yet.
move-not-here = The new account must be on another server.

oauth-title = Allow an app to use your account
oauth-asks = { $app } asks to use your account.
oauth-website = Its website:
oauth-scopes = What it may do
oauth-approve = Allow
oauth-deny = Refuse
oauth-code-title = Your authorization code
oauth-code-copy = Copy this code into { $app } to finish logging in.
oauth-error-title = This app cannot be authorized
oauth-unknown-app = No app is registered here under this client id.
oauth-unknown-redirect = The app did not register this address to return to.

apps-title = Apps with access
apps-about = These apps and tokens can use your account. Revoke any you no longer use: it stops working at once.
apps-none = No app has access to your account.
apps-kind-app = Mastodon app
apps-kind-token = API token
apps-scopes = May:
apps-created = Authorized
apps-last-used = last used
apps-revoke = Revoke
apps-gone = No such app has access to your account.
oauth-denied = You refused { $app }: it has no access to your account.
oauth-bad-request = The app's request cannot be granted ({ $error }): it asks for more than it registered for, or in a way this server does not accept.
