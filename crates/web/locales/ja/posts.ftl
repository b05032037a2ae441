# 日記、つぶやき、コメント、イイネ!：ページ、フォーム、一覧。

posts-new-diary = 日記を書く
posts-new-voice = つぶやく
posts-edit-diary = この日記を編集する
posts-edit-voice = このつぶやきを編集する
posts-delete-diary = この日記を削除する
posts-delete-voice = このつぶやきを削除する
posts-delete-diary-question = この日記を削除しますか？
posts-delete-voice-question = このつぶやきを削除しますか？
posts-delete-warning = コメントとイイネ!もいっしょに削除されます。元に戻すことはできません。
posts-delete-confirm = 削除する
posts-cancel = キャンセル
posts-not-yours = この投稿を変更できるのは書いた本人だけです。

posts-field-title = タイトル
posts-field-body = 本文
posts-body-hint = Markdown が使えます：空行で段落、**太字**、*斜体*、# 見出し、- 箇条書き、[リンク](https://…)。
posts-save = 保存する
posts-preview = プレビュー
posts-preview-heading = プレビュー

posts-error-title = タイトルは1〜{ $count }文字で入力してください。
posts-error-body = 本文は1〜{ $count }文字で入力してください。
posts-error-voice = 1〜{ $count }文字で入力してください。
posts-error-comment = コメントは1〜{ $count }文字で入力してください。
posts-error-audience = 公開範囲を一覧から選んでください。

posts-voice-heading = { $name } さんのつぶやき
posts-edited = （編集済み）
posts-original = 元のサーバーで見る

posts-likes = { $count ->
    [0] イイネ!
   *[other] イイネ! { $count } 件
}
posts-like = イイネ!
posts-unlike = イイネ!を取り消す
posts-likes-none = まだイイネ!はありません。

posts-comments = コメント
posts-comments-none = まだコメントはありません。
posts-comments-more = 続きのコメント
posts-comment-label = コメントを書く
posts-comment-submit = コメントする
posts-comment-delete = このコメントを削除する
posts-comment-login = ログインしてコメントする

posts-timeline-older = 以前の投稿
posts-timeline-end = これより前の投稿はありません。
posts-tag-posts = このタグの付いた投稿
posts-boosted-by = ブースト:
posts-tag-empty = このタグの付いた、あなたが読める投稿はありません。

posts-diaries-of = { $name } さんの日記
posts-diaries-empty = 表示できる日記はありません。
posts-diaries-empty-own = まだ日記を書いていません。今日のできごとを書いてみましょう。公開範囲も選べます。

photos-legend = 写真
photos-hint-diary = 日記には写真を{ $count }枚まで添えられます（JPEG・PNG・WebP・GIF、1枚{ $size }まで）。見えない人のために、それぞれの説明を書いてください。
photos-hint-voice = つぶやきには写真を{ $count }枚添えられます（JPEG・PNG・WebP・GIF、{ $size }まで）。見えない人のために説明を書いてください。
photos-number = 写真{ $n }
photos-file = 写真{ $n }
photos-alt = 写真{ $n }の説明（代替テキスト）
photos-position = 写真{ $n }の順番
photos-remove = 写真{ $n }を外す
photos-error-too-large = 「{ $file }」は{ $size }を超えています。小さい写真を選んでください。
photos-error-unsupported = 「{ $file }」はJPEG・PNG・WebP・GIFの画像ではありません。
photos-error-empty = 「{ $file }」は空のファイルです。もう一度選んでください。
photos-error-broken = 「{ $file }」は画像として読み込めませんでした。壊れているか、途中で切れている可能性があります。
photos-error-pixels = 「{ $file }」は画像が大きすぎます（{ $count }メガピクセルまで）。
photos-error-too-many-diary = 日記の写真は{ $count }枚までです。先にいくつか外してください。
photos-error-too-many-voice = つぶやきの写真は{ $count }枚までです。先に外してください。
photos-error-alt = 写真の説明は{ $count }文字までです。
photos-error-gone = 前に選んだ写真がなくなりました。もう一度選んでください。
