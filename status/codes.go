// Code generated from the spec's "Status Code Definitions" tables; the numbers and names are the spec's.

package status

// Task error codes (spec: Task Error Code). They describe why an upload or download task failed.
const (
	TaskInvalidParams                  TaskCode = 40000 // INVALID_PARAMS: The parameter is wrong
	TaskInternalError                  TaskCode = 40001 // INTERNAL_ERROR: internal error
	TaskNewTaskFailed                  TaskCode = 50000 // NEW_TASK_FAILED: Failed to create task
	TaskPrepareUploadError             TaskCode = 50001 // PREPARE_UPLOAD_ERROR: Abnormal data processing before uploading
	TaskTaskInternalError              TaskCode = 50002 // TASK_INTERNAL_ERROR: Abnormal task
	TaskUploadTaskExist                TaskCode = 50003 // UPLOAD_TASK_EXIST: Upload task already exists
	TaskShardingFaield                 TaskCode = 50004 // SHARDING_FAIELD: Sharding failed
	TaskFileHasUploaded                TaskCode = 50005 // FILE_HAS_UPLOADED: The file has been uploaded
	TaskGetStorageNodesFailed          TaskCode = 50006 // GET_STORAGE_NODES_FAILED: Failed to obtain storage node
	TaskOnlineNodesNotEnough           TaskCode = 50007 // ONLINE_NODES_NOT_ENOUGH: The number of storage nodes in the entire network is insufficient
	TaskPayForStoreFileFailed          TaskCode = 50008 // PAY_FOR_STORE_FILE_FAILED: File upload failed
	TaskSetFileinfoDbError             TaskCode = 50009 // SET_FILEINFO_DB_ERROR: File database save failed
	TaskAddWhitelistError              TaskCode = 50010 // ADD_WHITELIST_ERROR: Failed to add whitelist
	TaskGetPdpParamsError              TaskCode = 50011 // GET_PDP_PARAMS_ERROR: Failed to obtain PDP proof parameters
	TaskGetAllBlockError               TaskCode = 50012 // GET_ALL_BLOCK_ERROR: Abnormal access to file block data
	TaskSearchReceiversFailed          TaskCode = 50013 // SEARCH_RECEIVERS_FAILED: Failed to find storage node
	TaskReceiversNotEnough             TaskCode = 50014 // RECEIVERS_NOT_ENOUGH: Insufficient number of online storage nodes
	TaskReceiversRejected              TaskCode = 50015 // RECEIVERS_REJECTED: Storage node refuses to respond
	TaskTaskWaitTimeout                TaskCode = 50016 // TASK_WAIT_TIMEOUT: Task wait timeout
	TaskFileUploadedCheckPdpFailed     TaskCode = 50017 // FILE_UPLOADED_CHECK_PDP_FAILED: File has been uploaded and the storage node failed to submit the PDP prove
	TaskGetSessionIdFailed             TaskCode = 50018 // GET_SESSION_ID_FAILED: Failed to obtain SessionID
	TaskFileUnitPriceError             TaskCode = 50019 // FILE_UNIT_PRICE_ERROR: File download price is abnormal
	TaskTooManyTasks                   TaskCode = 50020 // TOO_MANY_TASKS: The task has reached the limit
	TaskFileNotFoundFromChain          TaskCode = 50021 // FILE_NOT_FOUND_FROM_CHAIN: File information chain does not exist
	TaskDownloadRefused                TaskCode = 50022 // DOWNLOAD_REFUSED: Download rejected
	TaskChainError                     TaskCode = 50023 // CHAIN_ERROR: Abnormal main chain request
	TaskTaskPauseError                 TaskCode = 50024 // TASK_PAUSE_ERROR: Task pause failed
	TaskGetFileinfoFromDbError         TaskCode = 50025 // GET_FILEINFO_FROM_DB_ERROR: Failed to get file information from database
	TaskDownloadFilehashNotFound       TaskCode = 50026 // DOWNLOAD_FILEHASH_NOT_FOUND: File Hash not found
	TaskNoConnectedDns                 TaskCode = 50027 // NO_CONNECTED_DNS: No DNS connected
	TaskNoDownloadSeed                 TaskCode = 50028 // NO_DOWNLOAD_SEED: No downloadable data source
	TaskGetDownloadInfoFailedFromPeers TaskCode = 50029 // GET_DOWNLOAD_INFO_FAILED_FROM_PEERS: Failed to obtain information from the download node
	TaskPrepareChannelError            TaskCode = 50030 // PREPARE_CHANNEL_ERROR: Failed to prepare Channel before downloading
	TaskFileinfoNotExist               TaskCode = 50031 // FILEINFO_NOT_EXIST: File information does not exist
	TaskPayUnpaidBlockFailed           TaskCode = 50032 // PAY_UNPAID_BLOCK_FAILED: Failed to pay for unpaid file blocks
	TaskCreateDownloadFileFailed       TaskCode = 50033 // CREATE_DOWNLOAD_FILE_FAILED: Failed to create download file
	TaskGetUndownloadBlockFailed       TaskCode = 50034 // GET_UNDOWNLOAD_BLOCK_FAILED: Failed to get undownloaded file block
	TaskDownloadBlockFailed            TaskCode = 50035 // DOWNLOAD_BLOCK_FAILED: Failed to download file block
	TaskGetFileStateError              TaskCode = 50036 // GET_FILE_STATE_ERROR: Failed to obtain file information
	TaskWriteFileDataFailed            TaskCode = 50037 // WRITE_FILE_DATA_FAILED: Failed to write data to file
	TaskFsPutBlockFailed               TaskCode = 50038 // FS_PUT_BLOCK_FAILED: Failed to save file block to FS
	TaskAddGetBlockRequestFailed       TaskCode = 50039 // ADD_GET_BLOCK_REQUEST_FAILED: Failed to add request file block task
	TaskDecryptFileFailed              TaskCode = 50040 // DECRYPT_FILE_FAILED: Decryption failed
	TaskRenameFiledFailed              TaskCode = 50041 // RENAME_FILED_FAILED: File rename failed
	TaskDownloadFileTimeout            TaskCode = 50042 // DOWNLOAD_FILE_TIMEOUT: File download timeout
	TaskDownloadFileResused            TaskCode = 50043 // DOWNLOAD_FILE_RESUSED: Download file refused
	TaskUnitpriceError                 TaskCode = 50044 // UNITPRICE_ERROR: Failed to get file download unit price
	TaskDownloadTaskExist              TaskCode = 50045 // DOWNLOAD_TASK_EXIST: Download task already exists
	TaskDecryptWrongPassword           TaskCode = 50046 // DECRYPT_WRONG_PASSWORD: Wrong decryption password
	TaskDeleteFileHashesEmpty          TaskCode = 50047 // DELETE_FILE_HASHES_EMPTY: Deleted file Hash is empty
	TaskNoFileNeedDeleted              TaskCode = 50048 // NO_FILE_NEED_DELETED: No files need to be deleted
	TaskDeleteFileAccessDenied         TaskCode = 50049 // DELETE_FILE_ACCESS_DENIED: No permission to delete files
)

// Transmission status codes (spec: Transmission Status Code): where a task is.
const (
	None                              TxStatus = 0  // None
	TaskPause                         TxStatus = 1  // Task pause
	TaskDoing                         TxStatus = 2  // Mission continues
	TaskUploadFileMakeSlice           TxStatus = 3  // Start sharding
	TaskUploadFileMakeSliceDone       TxStatus = 4  // Sharding completed
	TaskUploadFileCommitWhitelist     TxStatus = 7  // Submit whitelist information
	TaskUploadFileCommitWhitelistDone TxStatus = 8  // Complete whitelist information submission
	TaskUploadFileFindReceivers       TxStatus = 9  // Find storage nodes
	TaskUploadFileFindReceiversDone   TxStatus = 10 // Finding the storage node is complete
	TaskUploadFileGeneratePDPData     TxStatus = 11 // Generate PDP certification data
	TaskUploadFileTransferBlocks      TxStatus = 12 // Start transferring file block data
	TaskUploadFileTransferBlocksDone  TxStatus = 13 // Transfer file block data is complete
	TaskUploadFileWaitForPDPProve     TxStatus = 14 // Waiting for storage node to submit PDP certificate
	TaskUploadFileWaitForPDPProveDone TxStatus = 15 // The storage node submits the PDP certificate to complete
	TaskUploadFileRegisterDNS         TxStatus = 16 // Register information to DNS node
	TaskUploadFileRegisterDNSDone     TxStatus = 17 // Registration information is completed to the DNS node
	TaskDownloadFileStart             TxStatus = 18 // Start downloading files
	TaskDownloadSearchPeers           TxStatus = 19 // Find nodes for download
	TaskDownloadFileDownloading       TxStatus = 20 // File downloading
	TaskDownloadRequestBlocks         TxStatus = 21 // Download data block
	TaskDownloadReceiveBlocks         TxStatus = 22 // Data block received
	TaskDownloadPayForBlocks          TxStatus = 23 // Pay the download fee for the data block
	TaskDownloadPayForBlocksDone      TxStatus = 24 // Complete the download fee for the data block
	TaskDownloadFileMakeSeed          TxStatus = 25 // File download is complete, submit sharing information to DNS node
)

// RESTful API error codes (spec: RESTful API Error Code), used by the control API, the ledger and the CLI.
const (
	Success                                 = 0     // SUCCESS: Success
	InternalError                  RestCode = 40001 // INTERNAL_ERROR: Internal Server Error
	InvalidParams                  RestCode = 40002 // INVALID_PARAMS: Incorrect parameter (missing)
	NoDsp                          RestCode = 40003 // NO_DSP: Service not instantiated
	NoDb                           RestCode = 40004 // NO_DB: Database initialization failed
	ContractError                  RestCode = 40005 // CONTRACT_ERROR: Contract call failed
	InsufficientBalance            RestCode = 40006 // INSUFFICIENT_BALANCE: Insufficient balance
	NoAccount                      RestCode = 40007 // NO_ACCOUNT: No account
	AccountExist                   RestCode = 40008 // ACCOUNT_EXIST: Account already exists
	NoDns                          RestCode = 40009 // NO_DNS: No DNS node connected
	InvalidWalletAddress           RestCode = 40010 // INVALID_WALLET_ADDRESS: Wallet address is illegal
	ChainInternalError             RestCode = 50000 // CHAIN_INTERNAL_ERROR: Internal error
	ChainGetHeightFailed           RestCode = 50001 // CHAIN_GET_HEIGHT_FAILED: Failed to get current height
	ChainGetBlkByHeightFailed      RestCode = 50002 // CHAIN_GET_BLK_BY_HEIGHT_FAILED: Failed to get block
	ChainWaitTxComfirmedTimeout    RestCode = 50003 // CHAIN_WAIT_TX_COMFIRMED_TIMEOUT: Timeout waiting for transaction confirmation
	ChainUnknownBlock              RestCode = 50004 // CHAIN_UNKNOWN_BLOCK: Unknown block
	ChainUnknownTx                 RestCode = 50005 // CHAIN_UNKNOWN_TX: Unknown transaction
	ChainUnknownSmartcontract      RestCode = 50006 // CHAIN_UNKNOWN_SMARTCONTRACT: Unknown contract
	ChainUnknownSmartcontractEvent RestCode = 50007 // CHAIN_UNKNOWN_SMARTCONTRACT_EVENT: Unknown contract event
	ChainUnknownAsset              RestCode = 50008 // CHAIN_UNKNOWN_ASSET: Unknown asset
	ChainTransferError             RestCode = 50009 // CHAIN_TRANSFER_ERROR: Transfer failed
	WalletFileNotExist             RestCode = 50013 // WALLET_FILE_NOT_EXIST: Wallet file does not exist
	AccountdataNotExist            RestCode = 50014 // ACCOUNTDATA_NOT_EXIST: Wallet account data does not exist
	AccountPasswordWrong           RestCode = 50015 // ACCOUNT_PASSWORD_WRONG: wrong password
	CreateAccountFailed            RestCode = 50016 // CREATE_ACCOUNT_FAILED: Account creation failed
	AccountExportFailed            RestCode = 50017 // ACCOUNT_EXPORT_FAILED: Account export failed
	FsGetSettingFailed             RestCode = 54001 // FS_GET_SETTING_FAILED: Failed to obtain FS contract configuration
	FsGetUserSpaceFailed           RestCode = 54002 // FS_GET_USER_SPACE_FAILED: Failed to obtain user space
	FsGetFileListFailed            RestCode = 54003 // FS_GET_FILE_LIST_FAILED: Failed to get file list
	FsUpdateUserspaceFailed        RestCode = 54004 // FS_UPDATE_USERSPACE_FAILED: Failed to update user space
	FsCantRevokeOfExistsFile       RestCode = 54005 // FS_CANT_REVOKE_OF_EXISTS_FILE: Can't revoke space for storing files
	FsNoUserSpaceToRevoke          RestCode = 54006 // FS_NO_USER_SPACE_TO_REVOKE: There is no room to revoke
	FsUserSpaceSecondTooSmall      RestCode = 54007 // FS_USER_SPACE_SECOND_TOO_SMALL: Increased seconds are too small
	FsUserSpacePermissionDenied    RestCode = 54008 // FS_USER_SPACE_PERMISSION_DENIED: No permission to update
	FsUploadFilepathError          RestCode = 54009 // FS_UPLOAD_FILEPATH_ERROR: Error in file upload path
	FsUploadIntervalTooSmall       RestCode = 54010 // FS_UPLOAD_INTERVAL_TOO_SMALL: The verification period for uploading calculated fee is too short
	FsUploadGetFilesizeFailed      RestCode = 54011 // FS_UPLOAD_GET_FILESIZE_FAILED: Failed to calculate file fee to get file size
	FsUploadCalcFeeFailed          RestCode = 54012 // FS_UPLOAD_CALC_FEE_FAILED: Failed to calculate file fee
	DspInitFailed                  RestCode = 55000 // DSP_INIT_FAILED: DSP initialization failed
	DspStartFailed                 RestCode = 55001 // DSP_START_FAILED: DSP failed to start
	DspStopFailed                  RestCode = 55002 // DSP_STOP_FAILED: DSP stop failed
	DspUploadFileFailed            RestCode = 55010 // DSP_UPLOAD_FILE_FAILED: File upload failed
	DspUserSpaceExpired            RestCode = 55011 // DSP_USER_SPACE_EXPIRED: User space expired
	DspUserSpaceNotEnough          RestCode = 55012 // DSP_USER_SPACE_NOT_ENOUGH: Insufficient user space
	DspUploadUrlExist              RestCode = 55013 // DSP_UPLOAD_URL_EXIST: The file URL already exists
	DspDeleteFileFailed            RestCode = 55014 // DSP_DELETE_FILE_FAILED: Failed to delete file
	DspCalcUploadFeeFailed         RestCode = 55015 // DSP_CALC_UPLOAD_FEE_FAILED: Failed to calculate upload cost
	DspGetFileLinkFailed           RestCode = 55016 // DSP_GET_FILE_LINK_FAILED: Failed to get file link
	DspEncryptedFileFailed         RestCode = 55017 // DSP_ENCRYPTED_FILE_FAILED: File encryption failed
	DspDecryptedFileFailed         RestCode = 55018 // DSP_DECRYPTED_FILE_FAILED: File decryption failed
	DspWhitelistOpFailed           RestCode = 55019 // DSP_WHITELIST_OP_FAILED: Whitelist operation failed
	DspGetWhitelistFailed          RestCode = 55020 // DSP_GET_WHITELIST_FAILED: Failed to get whitelist
	DspUpdateConfigFailed          RestCode = 55021 // DSP_UPDATE_CONFIG_FAILED: Failed to update system configuration
	DspUploadFileExist             RestCode = 55022 // DSP_UPLOAD_FILE_EXIST: File uploaded
	DspPauseUploadFaield           RestCode = 55023 // DSP_PAUSE_UPLOAD_FAIELD: Upload pause failed
	DspResumeUploadFaield          RestCode = 55024 // DSP_RESUME_UPLOAD_FAIELD: Continue upload failure
	DspRetryUploadFaield           RestCode = 55025 // DSP_RETRY_UPLOAD_FAIELD: Retry upload failed
	DspPauseDownloadFaield         RestCode = 55026 // DSP_PAUSE_DOWNLOAD_FAIELD: Failed to pause download
	DspResumeDownloadFaield        RestCode = 55027 // DSP_RESUME_DOWNLOAD_FAIELD: Continue download failed
	DspRetryDownloadFaield         RestCode = 55028 // DSP_RETRY_DOWNLOAD_FAIELD: Retry download failed
	DspCancelTaskFailed            RestCode = 55029 // DSP_CANCEL_TASK_FAILED: Failed to cancel the task
	DspNodeRegisterFailed          RestCode = 55030 // DSP_NODE_REGISTER_FAILED: Node registration failed
	DspNodeUnregisterFailed        RestCode = 55031 // DSP_NODE_UNREGISTER_FAILED: Node logout failed
	DspNodeUpdateFailed            RestCode = 55032 // DSP_NODE_UPDATE_FAILED: Node update failed
	DspNodeWithdrawFailed          RestCode = 55033 // DSP_NODE_WITHDRAW_FAILED: Node withdrawal failed
	DspNodeQueryFailed             RestCode = 55034 // DSP_NODE_QUERY_FAILED: Node query failed
	DspUrlRegisterFailed           RestCode = 55040 // DSP_URL_REGISTER_FAILED: URL registration failed
	DspUrlBindFailed               RestCode = 55041 // DSP_URL_BIND_FAILED: URL binding failed
	DspDnsRegisterFailed           RestCode = 55050 // DSP_DNS_REGISTER_FAILED: DNS node registration failed
	DspDnsUnregisterFailed         RestCode = 55051 // DSP_DNS_UNREGISTER_FAILED: DNS node logout failed
	DspDnsUpdateFailed             RestCode = 55052 // DSP_DNS_UPDATE_FAILED: DNS node update failed
	DspDnsWithdrawFailed           RestCode = 55053 // DSP_DNS_WITHDRAW_FAILED: DNS node withdrawal failed
	DspDnsQuitFailed               RestCode = 55054 // DSP_DNS_QUIT_FAILED: DNS node exit failed
	DspDnsAddposFailed             RestCode = 55055 // DSP_DNS_ADDPOS_FAILED: DNS node failed to add mortgage
	DspDnsReduceposFailed          RestCode = 55056 // DSP_DNS_REDUCEPOS_FAILED: DNS node failure to reduce mortgage
	DspDnsGetNodeByAddr            RestCode = 55057 // DSP_DNS_GET_NODE_BY_ADDR: Query DNS node failed
	DspDnsQueryInfosFailed         RestCode = 55058 // DSP_DNS_QUERY_INFOS_FAILED: Query all DNS node information failed
	DspDnsQueryInfoFailed          RestCode = 55059 // DSP_DNS_QUERY_INFO_FAILED: Failed to query information about a single DNS node
	DspDnsQueryAllinfosFailed      RestCode = 55060 // DSP_DNS_QUERY_ALLINFOS_FAILED: Query all DNS node information failed
	DspDnsGetExternalipFailed      RestCode = 55061 // DSP_DNS_GET_EXTERNALIP_FAILED: Query DNS node to obtain IP information failed
	DspUserSpacePeriodNotEnough    RestCode = 55062 // DSP_USER_SPACE_PERIOD_NOT_ENOUGH: Insufficient time in user space
	DspCustomExpiredNotEnough      RestCode = 55063 // DSP_CUSTOM_EXPIRED_NOT_ENOUGH: Not enough storage time for upload settings
	DspFileInfoNotFound            RestCode = 55100 // DSP_FILE_INFO_NOT_FOUND: No file information found on the chain
	DspFileNotExists               RestCode = 55101 // DSP_FILE_NOT_EXISTS: file does not exist
	DspFileDecryptedWrongPwd       RestCode = 55102 // DSP_FILE_DECRYPTED_WRONG_PWD: Wrong decryption password
	DspTaskNotExist                RestCode = 58000 // DSP_TASK_NOT_EXIST: Operational task does not exist
	DbFindShareRecordsFailed       RestCode = 59000 // DB_FIND_SHARE_RECORDS_FAILED: Database query sharing revenue failed
	DbSumShareProfitFailed         RestCode = 59001 // DB_SUM_SHARE_PROFIT_FAILED: Database statistics sharing revenue failure
	DbFindUserSpaceRecordFailed    RestCode = 59002 // DB_FIND_USER_SPACE_RECORD_FAILED: Database query adjustment space record lost败
	DbAddUserSpaceRecordFailed     RestCode = 59003 // DB_ADD_USER_SPACE_RECORD_FAILED: Database addition adjustment space record is missing败
	DbGetFileinfoFailed            RestCode = 59004 // DB_GET_FILEINFO_FAILED: Failed to obtain file information
	NetReconnectPeerFailed         RestCode = 59100 // NET_RECONNECT_PEER_FAILED: Node reconnection failed
)

var taskNames = map[TaskCode]string{
	40000: "INVALID_PARAMS",
	40001: "INTERNAL_ERROR",
	50000: "NEW_TASK_FAILED",
	50001: "PREPARE_UPLOAD_ERROR",
	50002: "TASK_INTERNAL_ERROR",
	50003: "UPLOAD_TASK_EXIST",
	50004: "SHARDING_FAIELD",
	50005: "FILE_HAS_UPLOADED",
	50006: "GET_STORAGE_NODES_FAILED",
	50007: "ONLINE_NODES_NOT_ENOUGH",
	50008: "PAY_FOR_STORE_FILE_FAILED",
	50009: "SET_FILEINFO_DB_ERROR",
	50010: "ADD_WHITELIST_ERROR",
	50011: "GET_PDP_PARAMS_ERROR",
	50012: "GET_ALL_BLOCK_ERROR",
	50013: "SEARCH_RECEIVERS_FAILED",
	50014: "RECEIVERS_NOT_ENOUGH",
	50015: "RECEIVERS_REJECTED",
	50016: "TASK_WAIT_TIMEOUT",
	50017: "FILE_UPLOADED_CHECK_PDP_FAILED",
	50018: "GET_SESSION_ID_FAILED",
	50019: "FILE_UNIT_PRICE_ERROR",
	50020: "TOO_MANY_TASKS",
	50021: "FILE_NOT_FOUND_FROM_CHAIN",
	50022: "DOWNLOAD_REFUSED",
	50023: "CHAIN_ERROR",
	50024: "TASK_PAUSE_ERROR",
	50025: "GET_FILEINFO_FROM_DB_ERROR",
	50026: "DOWNLOAD_FILEHASH_NOT_FOUND",
	50027: "NO_CONNECTED_DNS",
	50028: "NO_DOWNLOAD_SEED",
	50029: "GET_DOWNLOAD_INFO_FAILED_FROM_PEERS",
	50030: "PREPARE_CHANNEL_ERROR",
	50031: "FILEINFO_NOT_EXIST",
	50032: "PAY_UNPAID_BLOCK_FAILED",
	50033: "CREATE_DOWNLOAD_FILE_FAILED",
	50034: "GET_UNDOWNLOAD_BLOCK_FAILED",
	50035: "DOWNLOAD_BLOCK_FAILED",
	50036: "GET_FILE_STATE_ERROR",
	50037: "WRITE_FILE_DATA_FAILED",
	50038: "FS_PUT_BLOCK_FAILED",
	50039: "ADD_GET_BLOCK_REQUEST_FAILED",
	50040: "DECRYPT_FILE_FAILED",
	50041: "RENAME_FILED_FAILED",
	50042: "DOWNLOAD_FILE_TIMEOUT",
	50043: "DOWNLOAD_FILE_RESUSED",
	50044: "UNITPRICE_ERROR",
	50045: "DOWNLOAD_TASK_EXIST",
	50046: "DECRYPT_WRONG_PASSWORD",
	50047: "DELETE_FILE_HASHES_EMPTY",
	50048: "NO_FILE_NEED_DELETED",
	50049: "DELETE_FILE_ACCESS_DENIED",
}

var restNames = map[RestCode]string{
	0:     "SUCCESS",
	40001: "INTERNAL_ERROR",
	40002: "INVALID_PARAMS",
	40003: "NO_DSP",
	40004: "NO_DB",
	40005: "CONTRACT_ERROR",
	40006: "INSUFFICIENT_BALANCE",
	40007: "NO_ACCOUNT",
	40008: "ACCOUNT_EXIST",
	40009: "NO_DNS",
	40010: "INVALID_WALLET_ADDRESS",
	50000: "CHAIN_INTERNAL_ERROR",
	50001: "CHAIN_GET_HEIGHT_FAILED",
	50002: "CHAIN_GET_BLK_BY_HEIGHT_FAILED",
	50003: "CHAIN_WAIT_TX_COMFIRMED_TIMEOUT",
	50004: "CHAIN_UNKNOWN_BLOCK",
	50005: "CHAIN_UNKNOWN_TX",
	50006: "CHAIN_UNKNOWN_SMARTCONTRACT",
	50007: "CHAIN_UNKNOWN_SMARTCONTRACT_EVENT",
	50008: "CHAIN_UNKNOWN_ASSET",
	50009: "CHAIN_TRANSFER_ERROR",
	50013: "WALLET_FILE_NOT_EXIST",
	50014: "ACCOUNTDATA_NOT_EXIST",
	50015: "ACCOUNT_PASSWORD_WRONG",
	50016: "CREATE_ACCOUNT_FAILED",
	50017: "ACCOUNT_EXPORT_FAILED",
	54001: "FS_GET_SETTING_FAILED",
	54002: "FS_GET_USER_SPACE_FAILED",
	54003: "FS_GET_FILE_LIST_FAILED",
	54004: "FS_UPDATE_USERSPACE_FAILED",
	54005: "FS_CANT_REVOKE_OF_EXISTS_FILE",
	54006: "FS_NO_USER_SPACE_TO_REVOKE",
	54007: "FS_USER_SPACE_SECOND_TOO_SMALL",
	54008: "FS_USER_SPACE_PERMISSION_DENIED",
	54009: "FS_UPLOAD_FILEPATH_ERROR",
	54010: "FS_UPLOAD_INTERVAL_TOO_SMALL",
	54011: "FS_UPLOAD_GET_FILESIZE_FAILED",
	54012: "FS_UPLOAD_CALC_FEE_FAILED",
	55000: "DSP_INIT_FAILED",
	55001: "DSP_START_FAILED",
	55002: "DSP_STOP_FAILED",
	55010: "DSP_UPLOAD_FILE_FAILED",
	55011: "DSP_USER_SPACE_EXPIRED",
	55012: "DSP_USER_SPACE_NOT_ENOUGH",
	55013: "DSP_UPLOAD_URL_EXIST",
	55014: "DSP_DELETE_FILE_FAILED",
	55015: "DSP_CALC_UPLOAD_FEE_FAILED",
	55016: "DSP_GET_FILE_LINK_FAILED",
	55017: "DSP_ENCRYPTED_FILE_FAILED",
	55018: "DSP_DECRYPTED_FILE_FAILED",
	55019: "DSP_WHITELIST_OP_FAILED",
	55020: "DSP_GET_WHITELIST_FAILED",
	55021: "DSP_UPDATE_CONFIG_FAILED",
	55022: "DSP_UPLOAD_FILE_EXIST",
	55023: "DSP_PAUSE_UPLOAD_FAIELD",
	55024: "DSP_RESUME_UPLOAD_FAIELD",
	55025: "DSP_RETRY_UPLOAD_FAIELD",
	55026: "DSP_PAUSE_DOWNLOAD_FAIELD",
	55027: "DSP_RESUME_DOWNLOAD_FAIELD",
	55028: "DSP_RETRY_DOWNLOAD_FAIELD",
	55029: "DSP_CANCEL_TASK_FAILED",
	55030: "DSP_NODE_REGISTER_FAILED",
	55031: "DSP_NODE_UNREGISTER_FAILED",
	55032: "DSP_NODE_UPDATE_FAILED",
	55033: "DSP_NODE_WITHDRAW_FAILED",
	55034: "DSP_NODE_QUERY_FAILED",
	55040: "DSP_URL_REGISTER_FAILED",
	55041: "DSP_URL_BIND_FAILED",
	55050: "DSP_DNS_REGISTER_FAILED",
	55051: "DSP_DNS_UNREGISTER_FAILED",
	55052: "DSP_DNS_UPDATE_FAILED",
	55053: "DSP_DNS_WITHDRAW_FAILED",
	55054: "DSP_DNS_QUIT_FAILED",
	55055: "DSP_DNS_ADDPOS_FAILED",
	55056: "DSP_DNS_REDUCEPOS_FAILED",
	55057: "DSP_DNS_GET_NODE_BY_ADDR",
	55058: "DSP_DNS_QUERY_INFOS_FAILED",
	55059: "DSP_DNS_QUERY_INFO_FAILED",
	55060: "DSP_DNS_QUERY_ALLINFOS_FAILED",
	55061: "DSP_DNS_GET_EXTERNALIP_FAILED",
	55062: "DSP_USER_SPACE_PERIOD_NOT_ENOUGH",
	55063: "DSP_CUSTOM_EXPIRED_NOT_ENOUGH",
	55100: "DSP_FILE_INFO_NOT_FOUND",
	55101: "DSP_FILE_NOT_EXISTS",
	55102: "DSP_FILE_DECRYPTED_WRONG_PWD",
	58000: "DSP_TASK_NOT_EXIST",
	59000: "DB_FIND_SHARE_RECORDS_FAILED",
	59001: "DB_SUM_SHARE_PROFIT_FAILED",
	59002: "DB_FIND_USER_SPACE_RECORD_FAILED",
	59003: "DB_ADD_USER_SPACE_RECORD_FAILED",
	59004: "DB_GET_FILEINFO_FAILED",
	59100: "NET_RECONNECT_PEER_FAILED",
}

var txStatusNames = map[TxStatus]string{
	None:                              "None",
	TaskPause:                         "TaskPause",
	TaskDoing:                         "TaskDoing",
	TaskUploadFileMakeSlice:           "TaskUploadFileMakeSlice",
	TaskUploadFileMakeSliceDone:       "TaskUploadFileMakeSliceDone",
	TaskUploadFileCommitWhitelist:     "TaskUploadFileCommitWhitelist",
	TaskUploadFileCommitWhitelistDone: "TaskUploadFileCommitWhitelistDone",
	TaskUploadFileFindReceivers:       "TaskUploadFileFindReceivers",
	TaskUploadFileFindReceiversDone:   "TaskUploadFileFindReceiversDone",
	TaskUploadFileGeneratePDPData:     "TaskUploadFileGeneratePDPData",
	TaskUploadFileTransferBlocks:      "TaskUploadFileTransferBlocks",
	TaskUploadFileTransferBlocksDone:  "TaskUploadFileTransferBlocksDone",
	TaskUploadFileWaitForPDPProve:     "TaskUploadFileWaitForPDPProve",
	TaskUploadFileWaitForPDPProveDone: "TaskUploadFileWaitForPDPProveDone",
	TaskUploadFileRegisterDNS:         "TaskUploadFileRegisterDNS",
	TaskUploadFileRegisterDNSDone:     "TaskUploadFileRegisterDNSDone",
	TaskDownloadFileStart:             "TaskDownloadFileStart",
	TaskDownloadSearchPeers:           "TaskDownloadSearchPeers",
	TaskDownloadFileDownloading:       "TaskDownloadFileDownloading",
	TaskDownloadRequestBlocks:         "TaskDownloadRequestBlocks",
	TaskDownloadReceiveBlocks:         "TaskDownloadReceiveBlocks",
	TaskDownloadPayForBlocks:          "TaskDownloadPayForBlocks",
	TaskDownloadPayForBlocksDone:      "TaskDownloadPayForBlocksDone",
	TaskDownloadFileMakeSeed:          "TaskDownloadFileMakeSeed",
}

var txStatusText = map[TxStatus]string{
	None:                              "None",
	TaskPause:                         "Task pause",
	TaskDoing:                         "Mission continues",
	TaskUploadFileMakeSlice:           "Start sharding",
	TaskUploadFileMakeSliceDone:       "Sharding completed",
	TaskUploadFileCommitWhitelist:     "Submit whitelist information",
	TaskUploadFileCommitWhitelistDone: "Complete whitelist information submission",
	TaskUploadFileFindReceivers:       "Find storage nodes",
	TaskUploadFileFindReceiversDone:   "Finding the storage node is complete",
	TaskUploadFileGeneratePDPData:     "Generate PDP certification data",
	TaskUploadFileTransferBlocks:      "Start transferring file block data",
	TaskUploadFileTransferBlocksDone:  "Transfer file block data is complete",
	TaskUploadFileWaitForPDPProve:     "Waiting for storage node to submit PDP certificate",
	TaskUploadFileWaitForPDPProveDone: "The storage node submits the PDP certificate to complete",
	TaskUploadFileRegisterDNS:         "Register information to DNS node",
	TaskUploadFileRegisterDNSDone:     "Registration information is completed to the DNS node",
	TaskDownloadFileStart:             "Start downloading files",
	TaskDownloadSearchPeers:           "Find nodes for download",
	TaskDownloadFileDownloading:       "File downloading",
	TaskDownloadRequestBlocks:         "Download data block",
	TaskDownloadReceiveBlocks:         "Data block received",
	TaskDownloadPayForBlocks:          "Pay the download fee for the data block",
	TaskDownloadPayForBlocksDone:      "Complete the download fee for the data block",
	TaskDownloadFileMakeSeed:          "File download is complete, submit sharing information to DNS node",
}
