# 全ページの枠、参加と退出、エラー、共通の言葉。ほかのファイルはページのグループごと。

skip-to-content = 本文へ移動
nav-label = メインメニュー
nav-home = ホーム
nav-write-diary = 日記を書く
nav-friends = マイミク
nav-notifications = お知らせ
nav-footprints = 足あと
nav-profile = プロフィール
nav-settings = 設定
nav-admin = 管理
nav-login = ログイン
nav-signup = 新規登録
nav-logout = ログアウト
language = 言語
language-switch = 変更
footer-powered = Enishi（縁）で運営：マイミク、日記、紹介文。それぞれに公開範囲があります。
notifications-unread = 未読のお知らせ { $count } 件

front-title = ようこそ
front-about = Enishi（縁）のコミュニティです。承認しあうマイミク、日記、つぶやき、紹介文。どれにも公開範囲を選べます。
front-joining-open = どなたでも参加できます。
front-joining-invite = 参加はメンバーからの招待制です。
front-joining-closed = 新しいアカウントは管理者が作成します。

field-username = ユーザー名
field-password = パスワード
field-invite = 招待コード
field-current-password = 現在のパスワード
field-new-password = 新しいパスワード
field-audience = 公開範囲

login-title = ログイン
login-submit = ログイン
login-failed = ユーザー名かパスワードが違います。
login-no-account = アカウントをお持ちでない方
login-rate-limited = 試行回数が多すぎます。{ $seconds } 秒後にもう一度お試しください。
posting-rate-limited = 投稿が多すぎます。{ $seconds } 秒後にもう一度お試しください。

signup-title = 新規登録
signup-submit = アカウントを作成
signup-username-hint = 1〜30文字：半角英小文字、数字、アンダースコア。
signup-password-hint = 8文字以上。
signup-invite-refused = この招待コードは使えません。確認するか、招待してくれたメンバーに新しいコードを頼んでください。
signup-username-taken = このユーザー名はすでに使われています。別の名前を選んでください。

password-title = パスワードの変更
password-submit = パスワードを変更
password-changed = パスワードを変更しました。ほかの端末のログインは終了しました。
password-wrong = 現在のパスワードが違います。

sessions-title = ログイン中の端末
sessions-about = ログインしたブラウザの一覧です。心当たりのないものはログアウトさせてください。
sessions-this = このブラウザ
sessions-unknown-browser = 不明なブラウザ
sessions-started = ログイン
sessions-last-used = 最終利用
sessions-end = ログアウトさせる
sessions-none = そのログインはありません。

audience-public = 全体に公開
audience-members = コミュニティのメンバー
audience-friends_of_friends = 友人の友人まで
audience-friends = マイミクまで
audience-private = 自分のみ
audience-direct = ダイレクト

origin-remote = { $server } から
pager-label = さらに表示
pager-older = 前へ

home-title = こんにちは、{ $name } さん
home-timeline = マイミクの最新情報
home-empty = まだ何もありません。マイミクを探すと、日記やつぶやきがここに表示されます。
home-empty-action = マイミクを探す
home-first-diary = または、最初の日記を書く
home-requests = マイミク申請が { $count } 件届いています
home-requests-answer = 返事をする
home-footprints = 最近の足あと
home-footprints-all = 足あとをすべて見る
footprints-empty = この7日間の訪問者はいません。
voice-composer-label = いまどうしてる？
voice-post = つぶやく

error-400 = リクエストを理解できませんでした
error-401 = ログインしてください
error-403 = 許可されていません
error-404 = 見つかりません
error-409 = いまはその操作ができません
error-413 = 大きすぎます
error-422 = 入力内容を確認してください
error-429 = リクエストが多すぎます
error-other = 問題が発生しました
error-back-home = ホームへ戻る
error-admins-only = このページは管理者だけが見られます。
error-language = その言語には対応していません。

nav-reports = 通報
error-moderators-only = このページはモデレーターと管理者だけが見られます。
report-title = 通報
report-about = 何が問題かをモデレーターに伝えてください。通報したことは相手に知らされません。
report-account = アカウント:
report-with-object = 開いていた投稿またはコメントも通報に含まれます。
report-reason = 理由
report-reason-spam = スパム
report-reason-violation = コミュニティのルール違反(嫌がらせ、迷惑行為)
report-reason-legal = 違法な内容
report-reason-other = その他
report-comment = 何があったか(任意)
report-forward = { $server } にも送る
report-forward-hint = あなたの名前は伏せて、コメントと通報内容が先方のモデレーターに届きます。
report-submit = 通報する
report-sent = ありがとうございました。モデレーターが通報を確認します。
report-link = 通報
leave-title = アカウントを削除
leave-about = 日記、つぶやき、コメント、イイネ、紹介文、マイミク、写真が削除され、同じユーザー名では二度と登録できなくなります。元に戻すことはできません。
leave-federation = あなたを知っている他のサーバーにもアカウントの削除が伝えられ、そちらの写しも消されます。
leave-submit = アカウントを完全に削除する
leave-done = アカウントを削除しました。これまでありがとうございました。
archive-title = データのダウンロード
archive-about = 日記、つぶやき、コメント、書いた紹介文ともらった紹介文、マイミク(Mastodonに読み込めるフォローリストも)、アップロードしたすべての写真をまとめたアーカイブ(zip)です。
archive-latest = 最新のアーカイブ
archive-asked = 依頼日時
archive-running = 作成中:
archive-check = もう一度確認する
archive-ready = アーカイブの準備ができました。
archive-download = アーカイブをダウンロード
archive-failed = アーカイブを作成できませんでした。もう一度お試しください。
archive-start = 新しいアーカイブを作る
