# プロフィール、マイミク、紹介文、お知らせ、足あと、設定。

people-rel-friends = マイミクです
people-rel-requested = マイミク申請中です。相手の承認を待っています。
people-rel-following = フォロー中です。相手がフォローを返すとマイミクになります。
people-rel-requested-by = マイミク申請が届いています。
people-rel-blocking = このアカウントをアクセスブロックしています。相手はあなたを見ることも連絡することもできません。
people-answer-request = 申請に返事をする
people-request-message = 申請のメッセージ（任意）
people-send-request = マイミク申請する
people-follow = フォローする
people-follow-hint = フォローすると公開の投稿が届きます。相手がフォローを返すとマイミクになります。
people-unfriend = マイミクをやめる
people-unfollow = フォローをやめる
people-cancel-request = 申請を取り消す
people-block = アクセスブロック
people-unblock = ブロックを解除

people-remote-original = 相手のサーバーでプロフィールを見る
people-edit-profile = プロフィールを編集
people-diaries-link = 日記
people-friends-title = マイミク
people-friends-none = 表示できるマイミクはまだいません。
people-friends-all = マイミクをすべて見る
people-friends-of = { $name } さんのマイミク
people-friends-hidden = このマイミク一覧はあなたには公開されていません。
people-back-to-profile = プロフィールに戻る

people-intros-title = 紹介文
people-intros-none = 表示できる紹介文はありません。
people-intros-none-self = 紹介文はまだありません。マイミクがあなたの紹介文をここに書けます。
people-intro-hidden = プロフィールに表示しない
people-intro-edit = 編集
people-intro-hide = 非表示にする
people-intro-show = プロフィールに表示する
people-intro-delete = 削除
people-intro-write = 紹介文を書く
people-intro-write-label = { $name } さんはどんな人？
people-intro-submit = 紹介文を投稿
people-intro-edit-title = 紹介文を編集
people-intro-text = 紹介文
people-intro-save = 保存
people-intro-invalid = 1〜1,000文字で書いてください。

people-friends-tabs = マイミクのページ
people-my-friends = マイミク一覧
people-my-friends-empty = まだマイミクがいません。知り合いをこのサーバーやほかのサーバーから名前で探しましょう。
people-more = もっと見る
people-requests-title = マイミク申請
people-requests-incoming = 届いた申請
people-requests-incoming-none = 返事を待っている申請はありません。
people-requests-held = 別に待っている申請
people-requests-held-about = このインスタンスの管理者が制限したサーバーからの申請です。通知はしていません。知っている人だけ承認してください。
people-requests-outgoing = 送った申請
people-requests-outgoing-none = 返事待ちの申請はありません。
people-approve = 承認する
people-decline = 断る
people-blocks-title = アクセスブロック一覧
people-blocks-about = ブロックした相手は、あなたのプロフィールや投稿を見ること、コメント、マイミク申請ができません。相手には知らされません。
people-blocks-none = ブロックしている人はいません。

people-find-title = マイミクを探す
people-find-label = 名前またはアドレス
people-find-hint = このサーバーのユーザー名、またはほかのサーバーの人なら @name@example.social かプロフィールのURL。
people-find-submit = 探す
people-find-empty = このコミュニティのユーザー名か、ほかのサーバー（Mastodon、Misskey、別のEnishiなど）の人なら @name@サーバー名 を入力して、マイミク申請を送りましょう。
people-find-none = { $handle } は見つかりませんでした。つづりとサーバー名を確かめてください。

people-notice-new = 新着
people-notices-empty = お知らせはまだありません。マイミク申請、コメント、イイネ!、紹介文がここに届きます。
people-notice-friend-request = { $name } さんからマイミク申請が届きました
people-notice-friend-accepted = { $name } さんとマイミクになりました
people-notice-comment = { $what ->
    [voice] { $name } さんがあなたのつぶやきにコメントしました
   *[other] { $name } さんがあなたの日記にコメントしました
}
people-notice-like = { $what ->
    [voice] { $name } さんがあなたのつぶやきにイイネ!しました
   *[other] { $name } さんがあなたの日記にイイネ!しました
}
people-notice-boost = { $what ->
    [voice] { $name } さんがあなたのつぶやきをシェアしました
   *[other] { $name } さんがあなたの日記をシェアしました
}
people-notice-introduction = { $name } さんがあなたの紹介文を書きました
people-notice-mention = { $what ->
    [voice] { $name } さんがつぶやきであなたに言及しました
    [comment] { $name } さんがコメントであなたに言及しました
   *[other] { $name } さんが日記であなたに言及しました
}
people-notice-server-blocked = { $name } さんとのマイミクが終了しました。このサーバーの管理者が相手のサーバーをブロックしました。

people-footprints-about = この7日間にあなたのプロフィールや日記を訪れたメンバーです。
people-footprints-off = 足あとはオフです。あなたの訪問は残らず、ほかの人の訪問も記録されません。
people-footprint-profile = あなたのプロフィール
people-footprint-diary = あなたの日記

people-settings-saved = 保存しました。
people-settings-default-audience = 新しい投稿の公開範囲（初期値）
people-settings-footprints = 足あとを残す・記録する
people-settings-footprints-hint = オフにすると、あなたの訪問は足あとを残さず、訪問者も表示されません。
people-settings-lang-auto = ブラウザの設定に合わせる
people-settings-profile-audiences = プロフィールの公開範囲
people-settings-more = その他の設定
people-field-nickname-audience = ニックネームの公開範囲
people-field-bio-audience = 自己紹介の公開範囲
people-field-avatar-audience = プロフィール画像の公開範囲
people-field-friends-audience = マイミク一覧の公開範囲
people-field-intros-audience = 紹介文の公開範囲
people-save = 保存
people-field-nickname = ニックネーム
people-field-bio = 自己紹介
people-fields-title = その他のプロフィール
people-fields-hint = 「出身地」「趣味」などを10項目まで。項目ごとに公開範囲を選べます。空にするとその項目は消えます。
people-field-row = 項目 { $count }
people-field-name = 項目名
people-field-value = 内容
people-invalid-nickname = ニックネームは50文字までです。
people-invalid-bio = 自己紹介は2,000文字までです。
people-invalid-fields = 各項目には項目名（50文字まで）と500文字までの内容が必要です。

people-images-title = アバターとヘッダー画像
people-images-hint = どちらも、アバターの公開範囲（設定）で許可した人に表示されます。アップロードした画像は再エンコードされ、位置情報などの EXIF は削除されます。
people-avatar-title = アバター
people-header-title = ヘッダー画像
people-image-file = 新しい画像（JPEG、PNG、WebP、GIF）
people-image-description = 代替テキスト（画像が見えない人のための説明）
people-image-remove = この画像を削除する
people-image-save = 画像を保存
people-image-too-large = 画像が大きすぎます。もっと小さいファイルを選んでください。
people-image-unsupported = この種類のファイルは使えません。JPEG、PNG、WebP、GIF の画像を選んでください。
people-image-broken = 画像を読み込めませんでした。別のファイルを選んでください。
people-image-invalid-description = 代替テキストは 1,500 文字までです。
